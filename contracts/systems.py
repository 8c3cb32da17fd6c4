"""Identifier and code systems used by the profiles (sources: HL7 Finland, THL, Kanta).

Silta-owned systems live under `SILTA_CANONICAL`; everything Finnish uses the national OIDs.
"""

from __future__ import annotations

SILTA_CANONICAL = "https://silta.fi/fhir"

# Identifiers
HETU = "urn:oid:1.2.246.21"                      # personal identity code
TEMPORARY_ID_PREFIX = "urn:oid:1.2.246.10."      # organisation-issued temporary ids
SOTE_ORGANISATION = "urn:oid:1.2.246.537.6.202.2008"
SOCIAL_WELFARE_REGISTER = "urn:oid:1.2.246.537.6.1264"
PATIENT_REGISTER = "urn:oid:1.2.246.537.5.40150"
DECISION_ID = f"{SILTA_CANONICAL}/sid/decision"
DOCUMENT_ID = f"{SILTA_CANONICAL}/sid/document"

# Health code systems
ICD10_FI = "urn:oid:1.2.246.537.6.1"
ICPC2 = "urn:oid:1.2.246.537.6.31"
THL_PROCEDURE = "urn:oid:1.2.246.537.6.2.2007"
SPAT = "urn:oid:1.2.246.537.6.128"
PALVELUMUOTO = "urn:oid:1.2.246.537.6.125"
YHTEYSTAPA = "urn:oid:1.2.246.537.6.127.201801"
MUNICIPALITY = "urn:oid:1.2.246.537.6.21"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

# Social welfare code systems
PALVELUTEHTAVA = "urn:oid:1.2.246.537.6.1221"    # service task
ASIAKIRJARYHMA = "urn:oid:1.2.246.537.6.1505"    # document group
PALVELUPROSESSI = "urn:oid:1.2.246.537.6.1277"   # service process
ILMOITTAJA = "urn:oid:1.2.246.537.6.1243"        # who notified a need for services

# Silta code systems (documented in contracts/README.md)
SECURITY_LABEL = f"{SILTA_CANONICAL}/CodeSystem/security-label"   # TURVAKIELTO, LUOVUTUSKIELTO
NOTIFICATION_KIND = f"{SILTA_CANONICAL}/CodeSystem/notification-kind"
DECISION_OUTCOME = f"{SILTA_CANONICAL}/CodeSystem/decision-outcome"
ASSESSOR_ROLE = f"{SILTA_CANONICAL}/CodeSystem/assessor-role"
ASSESSMENT_KIND = f"{SILTA_CANONICAL}/CodeSystem/assessment-kind"
OUTCOME_INSTRUMENT = f"{SILTA_CANONICAL}/CodeSystem/outcome-instrument"
SERVICE_KIND = f"{SILTA_CANONICAL}/CodeSystem/service-kind"

# Extensions
EXT_NOTIFIER = f"{SILTA_CANONICAL}/StructureDefinition/notifier"
EXT_DECISION_OUTCOME = f"{SILTA_CANONICAL}/StructureDefinition/decision-outcome"
EXT_EPISODE = f"{SILTA_CANONICAL}/StructureDefinition/episode-of-care"

TURVAKIELTO = "TURVAKIELTO"
LUOVUTUSKIELTO = "LUOVUTUSKIELTO"
REGISTER_SYSTEMS = frozenset({SOCIAL_WELFARE_REGISTER, PATIENT_REGISTER})

CLIENT_ID_SYSTEMS_DOC = (
    f"{HETU} (personal identity code) or a temporary id system under {TEMPORARY_ID_PREFIX}"
)
