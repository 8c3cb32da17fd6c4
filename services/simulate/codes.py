"""Organisations and codes the simulated sources use.

OIDs are under 1.2.246.10 (organisation-specific test arcs), like the repository's own
examples. Palvelutehtävä, palvelumuoto and notifier codes are illustrative: where the
repository's examples already use a code (22 child welfare, 10 older people's services,
palvelumuoto 211 family work, notifier 7 school) the simulator uses the same one.
ICD-10 and LOINC codes are real codes used as they are meant.
"""

from __future__ import annotations

from dataclasses import dataclass

# Organisations
SOCIAL_REGISTER_HOLDER = "1.2.246.10.7654321.10.0"    # wellbeing services county, social
SOCIAL_PROVIDER = "1.2.246.10.7654321.10.2"
DOCUMENT_ARC = "1.2.246.10.7654321.10.9"              # document ids: <arc>.<client>.<n>
HOSPITAL = "1.2.246.10.1234567.10.0"                  # MSH-4, the patient register holder
VISIT_AUTHORITY = "1.2.246.10.1234567.10.0.1"         # PV1-19 visit numbers
FHIR_BASE = "https://fhir.sairaala.example/r4"
HOSPITAL_MRN_SYSTEM = "https://fhir.sairaala.example/sid/potilasnumero"
FI_BASE_SECURITY = ("https://hl7.fi/fhir/finnish-base-profiles/CodeSystem/"
                    "fi-base-security-label-cs")

# Palvelutehtävä (service task)
CHILD_WELFARE = "22"
ADULT_SOCIAL_WORK = "5"
OLDER_PEOPLE = "10"

# Notifiers (palvelutarpeen ilmoittaja)
NOTIFIER_RELATIVE, NOTIFIER_POLICE, NOTIFIER_HEALTH, NOTIFIER_SCHOOL, NOTIFIER_SELF = (
    "2", "3", "5", "7", "1")


@dataclass(frozen=True)
class ServiceKind:
    palvelumuoto: str
    service_kind: str
    note: str


CHILD_SERVICES = (ServiceKind("211", "open-care-support", "family work"),
                  ServiceKind("212", "open-care-support", "support person"),
                  ServiceKind("214", "open-care-support", "peer group"))
ADULT_SERVICES = (ServiceKind("131", "substance-abuse-rehabilitation", "substance rehab"),
                  ServiceKind("141", "social-rehabilitation", "social rehabilitation"),
                  ServiceKind("151", "supported-housing", "supported housing"))
OLDER_SERVICES = (ServiceKind("301", "home-care", "home care"),
                  ServiceKind("302", "support-service", "meal and safety services"),
                  ServiceKind("311", "service-housing", "24-hour service housing"))


@dataclass(frozen=True)
class Dx:
    """An ICD-10 diagnosis with its Finnish display text."""

    code: str
    text: str


CHILD_EMERGENCY = (Dx("S00.8", "Pään muun osan pinnallinen vamma"),
                   Dx("T78.4", "Allergia, määrittämätön"), Dx("J45.9", "Astma, määrittämätön"))
CHILD_PSYCHIATRY = (Dx("F90.0", "Aktiivisuuden ja tarkkaavuuden häiriö"),
                    Dx("F32.1", "Keskivaikea masennustila"),
                    Dx("F41.1", "Yleistynyt ahdistuneisuushäiriö"),
                    Dx("F93.0", "Lapsuusiän eroahdistus"))
SUBSTANCE = (Dx("F10.0", "Alkoholin aiheuttama akuutti myrkytystila"),
             Dx("F10.2", "Alkoholiriippuvuus"), Dx("F10.3", "Alkoholin vieroitusoireyhtymä"),
             Dx("F12.2", "Kannabisriippuvuus"))
PSYCHIATRIC = (Dx("F32.1", "Keskivaikea masennustila"), Dx("F33.1", "Toistuva masennus"),
               Dx("F41.1", "Yleistynyt ahdistuneisuushäiriö"))
OLDER_ADMISSION = (Dx("S72.0", "Reisiluun kaulan murtuma"),
                   Dx("I50.9", "Sydämen vajaatoiminta, määrittämätön"),
                   Dx("J18.9", "Keuhkokuume, määrittämätön"),
                   Dx("N39.0", "Virtsatieinfektio"))
OLDER_CHRONIC = (Dx("F03", "Määrittämätön dementia"), Dx("E11.9", "Tyypin 2 diabetes"),
                 Dx("I10", "Verenpainetauti"), Dx("R26.8", "Kävelyn ja liikkumisen häiriö"))


@dataclass(frozen=True)
class Lab:
    """A LOINC-coded numeric test with its unit and reference range."""

    loinc: str
    name: str
    unit: str
    low: float
    high: float
    decimals: int


SUBSTANCE_LABS = (Lab("2324-2", "GT", "U/L", 10, 80, 0), Lab("787-2", "MCV", "fL", 82, 98, 0),
                  Lab("1742-6", "ALAT", "U/L", 10, 70, 0), Lab("718-7", "Hemoglobiini", "g/L",
                                                                 117, 167, 0))
OLDER_LABS = (Lab("1988-5", "CRP", "mg/L", 0, 10, 0), Lab("718-7", "Hemoglobiini", "g/L",
                                                         117, 167, 0),
              Lab("2951-2", "Natrium", "mmol/L", 137, 145, 0),
              Lab("14682-9", "Kreatiniini", "umol/L", 50, 100, 0))
