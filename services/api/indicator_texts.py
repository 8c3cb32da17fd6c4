"""Finnish and English names and definitions of the indicators the dashboard shows, and of
their groups. The definitions are services/evaluation/README.md's, shortened; the page
looks a name up by the indicator id, else by its longest known prefix, so an indicator
added later is still named by its family.
"""

from __future__ import annotations

from typing import Any

Texts = dict[str, tuple[str, str]]  # key -> (Finnish, English)

NAMES: Texts = {
    "child-welfare.decision-7wd": (
        "Lastensuojeluasia ratkaistu 7 arkipäivässä",
        "Child-welfare matter decided within 7 working days"),
    "child-welfare.assessment-3m": (
        "Lastensuojelun palvelutarpeen arviointi valmis 3 kuukaudessa",
        "Child-welfare assessment completed within 3 months"),
    "service-need.assessment-start-7wd-75plus": (
        "Palvelutarpeen arviointi alkoi 7 arkipäivässä (75 vuotta täyttäneet)",
        "Service-need assessment started within 7 working days (aged 75+)"),
    "outcome.change": ("Vaikuttavuusmittarin muutos", "Change in an outcome measure"),
    "outcome.change.kykyviisari": ("Kykyviisarin muutos", "Change in Kykyviisari"),
    "cross-sector": ("Terveystapahtumat sosiaalihuollon asiakkuuden aikana",
                     "Health events during a social-care episode"),
    "cross-sector.psychiatric": ("Psykiatrinen diagnoosi asiakkuuden aikana",
                                 "Psychiatric diagnosis during the episode"),
    "cross-sector.psychiatric.before-12m": ("Psykiatrinen diagnoosi 12 kk ennen asiakkuutta",
                                            "Psychiatric diagnosis 12 months before"),
    "cross-sector.substance-use": ("Päihdediagnoosi asiakkuuden aikana",
                                   "Substance-use diagnosis during the episode"),
    "cross-sector.substance-use.before-12m": ("Päihdediagnoosi 12 kk ennen asiakkuutta",
                                              "Substance-use diagnosis 12 months before"),
    "cross-sector.emergency": ("Päivystyskäynti asiakkuuden aikana",
                               "Emergency visit during the episode"),
    "cross-sector.emergency.before-12m": ("Päivystyskäynti 12 kk ennen asiakkuutta",
                                          "Emergency visit 12 months before"),
    "paths": ("Palvelupolut", "Service paths"),
    "paths.variant": ("Yleisimmät palvelupolut", "Most common service paths"),
    "paths.follows": ("Siirtymät vaiheesta seuraavaan", "Steps from one to the next"),
    "paths.first-contact-to-service": ("Ensikontaktista palveluun",
                                       "First contact to a service"),
    "costs": ("Arvioidut kustannukset", "Estimated costs"),
    "costs.client": ("Kustannus asiakasta kohden", "Cost per client"),
    "costs.episode": ("Kustannus asiakkuutta kohden", "Cost per client episode"),
}

_DEADLINE_RULE = (
    " Arkipäiviä eivät ole vastaanottopäivä, lauantait, sunnuntait, arkipyhät, juhannusaatto "
    "eikä jouluaatto. Osoittaja = määräajassa, nimittäjä = määräajassa + myöhässä; avoimet "
    "(määräpäivä ei ollut ohi kauden lopussa) lasketaan erikseen.",
    " The receipt day, Saturdays, Sundays, public holidays, Midsummer Eve and Christmas Eve "
    "are not working days. Numerator = met, denominator = met + missed; open cases (the due "
    "day had not passed at the period's end) are counted apart.")

DEFINITIONS: Texts = {
    "child-welfare.decision-7wd": (
        "Lastensuojelulaki 417/2007 26 §: kun lastensuojeluasia tulee vireille "
        "(lastensuojeluilmoitus tai muu ilmoitus palvelutehtävässä 22, lastensuojelu), on "
        "seitsemän arkipäivän kuluessa ratkaistava, aloitetaanko palvelutarpeen arviointi. "
        "Määräajassa, kun ensimmäinen päätös asiasta on päivätty viimeistään 7. arkipäivänä "
        "vastaanotosta." + _DEADLINE_RULE[0],
        "Lastensuojelulaki 417/2007 26 §: when a child-welfare matter opens (a child-welfare "
        "notification, or another notification in palvelutehtävä 22, child welfare), whether "
        "to start an assessment must be decided within seven working days. Met when the "
        "first decision on it is dated on or before the 7th working day after receipt."
        + _DEADLINE_RULE[1]),
    "child-welfare.assessment-3m": (
        "Lastensuojelulaki 417/2007 26 § 3 mom.: arvioinnin on valmistuttava kolmen "
        "kuukauden kuluessa asian vireilletulosta. Tapaukset: lastensuojeluasiat, paitsi ne, "
        "joissa päätettiin, ettei arviointia tehdä. Määräajassa, kun asiakkaan ensimmäinen "
        "valmistunut lastensuojelun arviointi on päivätty viimeistään samana päivänä kolme "
        "kuukautta myöhemmin." + _DEADLINE_RULE[0],
        "Lastensuojelulaki 417/2007 26 § (3): the assessment must be completed within three "
        "months of the matter opening. Cases: child-welfare matters, except those decided as "
        "no assessment. Met when the client's first completed child-welfare assessment is "
        "dated on or before the same day three months later." + _DEADLINE_RULE[1]),
    "service-need.assessment-start-7wd-75plus": (
        "Sosiaalihuoltolaki 1301/2014 36 §: 75 vuotta täyttäneen palvelutarpeen arviointi on "
        "aloitettava viimeistään seitsemäntenä arkipäivänä asian vireilletulosta. Tapaukset: "
        "ilmoitukset sosiaalihuollon tarpeesta henkilöistä, jotka olivat ilmoitushetkellä "
        "75-vuotiaita tai vanhempia. Määräajassa, kun ensimmäinen palvelutarpeen arviointi "
        "alkoi viimeistään 7. arkipäivänä." + _DEADLINE_RULE[0],
        "Sosiaalihuoltolaki 1301/2014 36 §: for a person aged 75 or over, the assessment of "
        "the need for services must start by the seventh working day after the matter came "
        "to the authority. Cases: notices of a need for social services about people aged "
        "75 or over at the notice. Met when the first service-need assessment started by "
        "the 7th working day." + _DEADLINE_RULE[1]),
    "outcome.change": (
        "Vaikuttavuusmittarin kokonaispistemäärän (esim. Kykyviisari 0–10, suurempi on "
        "parempi) muutos asiakkuuden ensimmäisestä viimeiseen mittaukseen saman arvioijan "
        "roolin mukaan (asiakas itse, läheinen, työntekijä, ammattilainen). Nimittäjä = "
        "asiakkuudet, joissa mitattiin alussa ja lopussa; osoittaja = ne, joissa tulos "
        "parani; arvo = muutoksen keskiarvo pisteinä.",
        "Change of an outcome measure's total score (e.g. Kykyviisari 0–10, higher is "
        "better) from the first to the last measurement by the same assessor role (self, "
        "family, worker, professional) within a client's episode. Denominator = episodes "
        "measured at both ends, numerator = those that improved, value = the mean change in "
        "points."),
    "cross-sector": (
        "Sosiaalihuollon asiakkaista (asiakkuus voimassa kaudella) niiden osuus, joilla oli "
        "ryhmän terveystapahtumia asiakkuuden aikana ja 12 kuukautta ennen sitä: psykiatriset "
        "diagnoosit (ICD-10 F00–F99), päihdediagnoosit (F10–F19), päivystyskäynnit "
        "(käyntiluokka EMER).",
        "Of the social-care clients (a client relationship running in the period), the share "
        "with health events of the group during their episode and in the 12 months before "
        "it: psychiatric diagnoses (ICD-10 F00–F99), substance use (F10–F19), emergency "
        "visits (encounter class EMER)."),
    "paths": (
        "Asiakkaan polku on kauden toiminnot järjestyksessä molemmista maailmoista: "
        "sosiaalihuollon vaiheet, palvelut palvelun lajin mukaan ja terveydenhuollon käynnit "
        "käyntiluokan mukaan. Muunnelma = polun kuusi ensimmäistä vaihetta; osoittaja = "
        "asiakkaat, arvo = osuus asiakkaista, joilla on polku. Alle N asiakkaan muunnelmat ja "
        "siirtymät eivät näy nimeltä. Ensikontaktista palveluun: päivien mediaani "
        "ensimmäisestä vaiheesta ensimmäiseen palveluun.",
        "A client's path is the ordered sequence of activities in the period across both "
        "worlds: social-care steps, services by service kind and health encounters by class. "
        "A variant is a path's first six steps; numerator = clients, value = share of the "
        "clients with a path. Variants and steps taken by fewer than N clients are not "
        "named. First contact to a service: the median days from the first step to the first "
        "service."),
    "costs": (
        "Arvioitu kustannus yksikkökustannustaulukon mukaan: jokainen hinnoiteltu "
        "terveydenhuollon käynti käynnin hinnalla ja jokainen palvelupäivä kaudella "
        "päivähinnalla (vuoden 2024 valtakunnalliset keskiarvot, valtiovarainministeriö ja "
        "sosiaali- ja terveysministeriö sekä THL). Osoittaja = asiakkaat (asiakkuudet), "
        "joilla on hinnoiteltua toimintaa; arvo = keskiarvo euroina.",
        "Estimated from the unit-cost table: each priced health encounter at its visit "
        "price, each day a priced service runs in the period at its day price (2024 "
        "national averages, Ministry of Finance and Ministry of Social Affairs and Health "
        "with THL). Numerator = clients (episodes) with a priced activity; value = mean €."),
}

# The dimensions a group label names (`age_band=13-17`, `assessor=self`, ...).
GROUPS: Texts = {
    "organisation": ("Organisaatio", "Organisation"),
    "age_band": ("Ikäryhmä", "Age band"),
    "sector": ("Sektori", "Sector"),
    "assessor": ("Arvioija", "Assessor"),
    "variant": ("Polku", "Path"),
    "from": ("Mistä", "From"),
    "to": ("Mihin", "To"),
}

VALUES: Texts = {
    "self": ("asiakas itse", "self"),
    "family": ("läheinen", "family"),
    "worker": ("työntekijä", "worker"),
    "professional": ("ammattilainen", "professional"),
    "health": ("terveydenhuolto", "health care"),
    "social": ("sosiaalihuolto", "social care"),
    "unknown": ("tuntematon", "unknown"),
    "(other variants)": ("(muut polut)", "(other paths)"),
}


def both(texts: Texts) -> dict[str, dict[str, str]]:
    return {key: {"fi": fi, "en": en} for key, (fi, en) in texts.items()}


def indicator_texts() -> dict[str, Any]:
    return {"names": both(NAMES), "definitions": both(DEFINITIONS),
            "groups": both(GROUPS), "values": both(VALUES)}
