"""Country names in French, Portuguese and Spanish, for reading sheets that name countries instead of coding them.

Written once, offline, from the Unicode CLDR's territory names (the data Babel ships) for the countries the
shipped programmes work in and their home country; a sheet's English names come from `iso3166.ALPHA3`. Each
entry is an alpha-3 code -> (French, Portuguese, Spanish). Used only to *propose* a mapping
(`impact.ingest.mapping`), which a person confirms: a name missing here is matched by its code, or listed for
the manager to map by hand.
"""

from __future__ import annotations

LANGUAGES = ("fr", "pt", "es")

NAMES: dict[str, tuple[str, str, str]] = {
    "BDI": ("Burundi", "Burundi", "Burundi"),
    "BGD": ("Bangladesh", "Bangladesh", "Bangladés"),
    "BOL": ("Bolivie", "Bolívia", "Bolivia"),
    "BWA": ("Botswana", "Botsuana", "Botsuana"),
    "CMR": ("Cameroun", "Camarões", "Camerún"),
    "COD": ("Congo-Kinshasa", "Congo - Kinshasa", "República Democrática del Congo"),
    "COL": ("Colombie", "Colômbia", "Colombia"),
    "EGY": ("Égypte", "Egito", "Egipto"),
    "ETH": ("Éthiopie", "Etiópia", "Etiopía"),
    "FJI": ("Fidji", "Fiji", "Fiyi"),
    "GBR": ("Royaume-Uni", "Reino Unido", "Reino Unido"),
    "GHA": ("Ghana", "Gana", "Ghana"),
    "GMB": ("Gambie", "Gâmbia", "Gambia"),
    "GUY": ("Guyana", "Guiana", "Guyana"),
    "IND": ("Inde", "Índia", "India"),
    "JAM": ("Jamaïque", "Jamaica", "Jamaica"),
    "JOR": ("Jordanie", "Jordânia", "Jordania"),
    "KEN": ("Kenya", "Quênia", "Kenia"),
    "KGZ": ("Kirghizistan", "Quirguistão", "Kirguistán"),
    "KHM": ("Cambodge", "Camboja", "Camboya"),
    "LBR": ("Libéria", "Libéria", "Liberia"),
    "LKA": ("Sri Lanka", "Sri Lanka", "Sri Lanka"),
    "LSO": ("Lesotho", "Lesoto", "Lesoto"),
    "MAR": ("Maroc", "Marrocos", "Marruecos"),
    "MDG": ("Madagascar", "Madagascar", "Madagascar"),
    "MMR": ("Myanmar (Birmanie)", "Mianmar (Birmânia)", "Myanmar (Birmania)"),
    "MOZ": ("Mozambique", "Moçambique", "Mozambique"),
    "MWI": ("Malawi", "Malawi", "Malaui"),
    "NGA": ("Nigeria", "Nigéria", "Nigeria"),
    "NPL": ("Népal", "Nepal", "Nepal"),
    "PAK": ("Pakistan", "Paquistão", "Pakistán"),
    "PER": ("Pérou", "Peru", "Perú"),
    "PNG": ("Papouasie-Nouvelle-Guinée", "Papua-Nova Guiné", "Papúa Nueva Guinea"),
    "RWA": ("Rwanda", "Ruanda", "Ruanda"),
    "SDN": ("Soudan", "Sudão", "Sudán"),
    "SLE": ("Sierra Leone", "Serra Leoa", "Sierra Leona"),
    "SOM": ("Somalie", "Somália", "Somalia"),
    "SSD": ("Soudan du Sud", "Sudão do Sul", "Sudán del Sur"),
    "SWZ": ("Eswatini", "Essuatíni", "Esuatini"),
    "TJK": ("Tadjikistan", "Tadjiquistão", "Tayikistán"),
    "TZA": ("Tanzanie", "Tanzânia", "Tanzania"),
    "UGA": ("Ouganda", "Uganda", "Uganda"),
    "ZAF": ("Afrique du Sud", "África do Sul", "Sudáfrica"),
    "ZMB": ("Zambie", "Zâmbia", "Zambia"),
    "ZWE": ("Zimbabwe", "Zimbábue", "Zimbabue"),
}

# Other names people write for the same countries (English short forms and older names).
ALSO: dict[str, tuple[str, ...]] = {
    "COD": ("DR Congo", "DRC", "Democratic Republic of the Congo", "RD Congo", "RDC",
            "République démocratique du Congo"),
    "GBR": ("UK", "United Kingdom", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland"),
    "GMB": ("The Gambia",),
    "MMR": ("Burma", "Myanmar", "Birmanie"),
    "SWZ": ("Swaziland",),
    "TZA": ("Tanzania", "United Republic of Tanzania"),
    "BOL": ("Bolivia",),
}
