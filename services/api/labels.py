"""Readable names for what the timeline page shows: entry kinds in Finnish and English,
short names of code systems, and names of the codes Silta knows (the simulator's code
tables and the encounter classes). Codes without a name are shown as they are.

Only code tables and indicator texts: nothing here is about a client.
"""

from __future__ import annotations

from typing import Any

from contracts import systems
from contracts.catalogue import CATALOGUE
from services.api.indicator_texts import both, indicator_texts
from services.simulate import codes

# kind -> (Finnish, English)
KINDS: dict[str, tuple[str, str]] = {
    "encounter.started": ("Käynti alkoi", "Encounter started"),
    "encounter.updated": ("Käynti muuttui", "Encounter updated"),
    "encounter.finished": ("Käynti päättyi", "Encounter finished"),
    "encounter.cancelled": ("Käynti peruttiin", "Encounter cancelled"),
    "diagnosis.recorded": ("Diagnoosi kirjattiin", "Diagnosis recorded"),
    "observation.recorded": ("Havainto kirjattiin", "Observation recorded"),
    "procedure.performed": ("Toimenpide tehtiin", "Procedure performed"),
    "client-relationship.opened": ("Asiakkuus alkoi", "Client relationship opened"),
    "client-relationship.closed": ("Asiakkuus päättyi", "Client relationship closed"),
    "notification.received": ("Ilmoitus vastaanotettiin", "Notification received"),
    "assessment.started": ("Arviointi alkoi", "Assessment started"),
    "assessment.completed": ("Arviointi valmistui", "Assessment completed"),
    "client-plan.created": ("Asiakassuunnitelma laadittiin", "Client plan created"),
    "client-plan.updated": ("Asiakassuunnitelma päivitettiin", "Client plan updated"),
    "decision.made": ("Päätös tehtiin", "Decision made"),
    "service.started": ("Palvelu alkoi", "Service started"),
    "service.ended": ("Palvelu päättyi", "Service ended"),
    "outcome-measure.recorded": ("Vaikuttavuusmittari kirjattiin", "Outcome measure recorded"),
    "record.amended": ("Kirjaus korjattiin", "Record amended"),
    "record.entered-in-error": ("Kirjaus peruttiin virheellisenä", "Record entered in error"),
}

SYSTEMS: dict[str, str] = {
    systems.ICD10_FI: "ICD-10", systems.ICPC2: "ICPC-2", systems.LOINC: "LOINC",
    systems.THL_PROCEDURE: "THL", systems.SPAT: "SPAT", systems.PALVELUTEHTAVA: "palvelutehtävä",
    systems.PALVELUMUOTO: "palvelumuoto", systems.V3_ACT_CODE: "ActCode",
    systems.ILMOITTAJA: "ilmoittaja", systems.UCUM: "UCUM",
    "http://terminology.hl7.org/CodeSystem/v2-0069": "HL7 hospital service",
    systems.NOTIFICATION_KIND: "notification-kind", systems.DECISION_OUTCOME: "decision-outcome",
    systems.ASSESSOR_ROLE: "assessor-role", systems.ASSESSMENT_KIND: "assessment-kind",
    systems.OUTCOME_INSTRUMENT: "outcome-instrument", systems.SERVICE_KIND: "service-kind",
}

# (Finnish, English) where we wrote both; one name where the code table has one.
_ENCOUNTER_CLASSES = {"EMER": ("Päivystys", "Emergency"), "IMP": ("Osastohoito", "Inpatient"),
                      "AMB": ("Avohoito", "Ambulatory"), "PRENC": ("Ennakkokäynti",
                                                               "Pre-admission")}
_SERVICE_TASKS = {codes.CHILD_WELFARE: ("Lastensuojelu", "Child welfare"),
                  codes.ADULT_SOCIAL_WORK: ("Aikuissosiaalityö", "Adult social work"),
                  codes.OLDER_PEOPLE: ("Ikääntyneiden palvelut", "Services for older people")}


def _same(names: dict[str, str]) -> dict[str, dict[str, str]]:
    return {code: {"fi": name, "en": name} for code, name in names.items()}


def labels() -> dict[str, Any]:
    """What the page needs to name things, as JSON: kinds, code systems, codes, and the
    dashboard's indicators."""
    services = codes.CHILD_SERVICES + codes.ADULT_SERVICES + codes.OLDER_SERVICES
    diagnoses = (codes.CHILD_EMERGENCY + codes.CHILD_PSYCHIATRY + codes.SUBSTANCE
                 + codes.PSYCHIATRIC + codes.OLDER_ADMISSION + codes.OLDER_CHRONIC)
    known_kinds = {spec.kind for spec in CATALOGUE if not spec.restricted}
    return {
        "kinds": both({kind: names for kind, names in KINDS.items() if kind in known_kinds}),
        "systems": SYSTEMS,
        "codes": {
            systems.V3_ACT_CODE: both(_ENCOUNTER_CLASSES),
            systems.PALVELUTEHTAVA: both(_SERVICE_TASKS),
            systems.PALVELUMUOTO: _same({s.palvelumuoto: s.note for s in services}),
            systems.SERVICE_KIND: _same({s.service_kind: s.service_kind.replace("-", " ")
                                         for s in services}),
            systems.ICD10_FI: _same({d.code: d.text for d in diagnoses}),
            systems.LOINC: _same({lab.loinc: lab.name for lab in
                                  codes.SUBSTANCE_LABS + codes.OLDER_LABS}),
        },
        "indicators": indicator_texts(),
    }
