"""The shipped programmes' content in other languages (their definitions' `translations`): names, vocabulary labels
and indicator texts. The stored values stay the English codes; these are only how they are shown."""

from __future__ import annotations

from impact.model import programme as programmes

HPS = {
    "fr": {
        "name": "Programme de partenariats en santé",
        "description": "30 M£ du DFID, 2011-2019, gérés par THET : des partenariats entre institutions de santé du "
                       "Royaume-Uni et d'autres pays, qui ont formé des agents de santé et renforcé les services.",
        "terms": {
            "theme": {"Maternal and newborn health": "Santé maternelle et néonatale", "Mental health": "Santé mentale",
                      "Surgery and anaesthesia": "Chirurgie et anesthésie",
                      "Emergency and critical care": "Urgences et soins intensifs", "Child health": "Santé de l'enfant",
                      "Infectious diseases": "Maladies infectieuses",
                      "Non-communicable diseases": "Maladies non transmissibles",
                      "Leadership and management": "Leadership et gestion",
                      "Nursing and midwifery education": "Formation en soins infirmiers et obstétricaux",
                      "Laboratory and diagnostics": "Laboratoire et diagnostic",
                      "Disability and rehabilitation": "Handicap et réadaptation"},
            "grant_type": {"Small grant": "Petite subvention", "Large grant": "Grande subvention",
                           "Long-term partnership": "Partenariat à long terme",
                           "Strategic volunteering": "Volontariat stratégique", "Country programme": "Programme pays"},
            "region": {"East Africa": "Afrique de l'Est", "Southern Africa": "Afrique australe",
                       "West Africa": "Afrique de l'Ouest", "Central Africa": "Afrique centrale",
                       "South Asia": "Asie du Sud", "South-East Asia": "Asie du Sud-Est"},
            "cadre": {"Nurse": "Infirmier ou infirmière", "Midwife": "Sage-femme", "Doctor": "Médecin",
                      "Clinical officer": "Technicien clinique", "Community health worker": "Agent de santé communautaire",
                      "Allied health professional": "Professionnel paramédical", "Laboratory staff": "Personnel de laboratoire",
                      "Health manager": "Gestionnaire de santé"},
            "gender": {"Female": "Femme", "Male": "Homme", "Not recorded": "Non renseigné"},
            "training_type": {"In-service": "Formation continue", "Pre-service": "Formation initiale",
                              "Training of trainers": "Formation de formateurs", "Cascade": "En cascade"},
            "location": {"Overseas": "À l'étranger", "UK": "Royaume-Uni"},
            "profession": {"Doctor": "Médecin", "Nurse": "Infirmier ou infirmière", "Midwife": "Sage-femme",
                           "Allied health professional": "Professionnel paramédical",
                           "Health manager": "Gestionnaire de santé", "Scientist": "Scientifique"},
        },
        "indicators": {
            "uk_volunteers_improved_skills": {
                "label": "Volontaires britanniques aux compétences renforcées",
                "description": "Volontaires britanniques rentrés qui démontrent des compétences cliniques et de "
                               "leadership renforcées.",
                "how_counted": "Volontaires rentrés démontrant de meilleures compétences cliniques et de leadership."},
            "uk_volunteers_surveyed": {
                "label": "Volontaires britanniques interrogés",
                "description": "Volontaires britanniques rentrés qui ont répondu à l'enquête sur ce qu'ils ont rapporté.",
                "how_counted": "Volontaires rentrés interrogés, additionnés."},
            "uk_volunteers_new_approaches": {
                "label": "Volontaires ayant rapporté de nouvelles approches",
                "description": "Volontaires rentrés interrogés qui ont rapporté de nouvelles approches au NHS.",
                "how_counted": "Volontaires interrogés signalant de nouvelles approches, additionnés."},
            "new_approaches_share": {
                "label": "Volontaires rapportant de nouvelles idées",
                "description": "Part des volontaires rentrés interrogés qui ont rapporté de nouvelles approches au NHS.",
                "how_counted": "Part des volontaires rentrés interrogés qui ont rapporté de nouvelles approches."},
            "institutions_improved_quality": {
                "label": "Institutions aux services améliorés",
                "description": "Institutions des pays à revenu faible ou intermédiaire dont les services ciblés par "
                               "un projet sont de meilleure qualité.",
                "how_counted": "Établissements aux services ciblés mesurablement meilleurs, partenaires ou non."},
            "patients_improved_services": {
                "label": "Patients bénéficiant de services améliorés",
                "description": "Patients ayant utilisé des services qu'un partenariat a améliorés.",
                "how_counted": "Patients utilisant des services qu'un partenariat a améliorés."},
        },
    },
    "pt": {
        "name": "Programa de Parcerias em Saúde",
        "description": "30 milhões de libras do DFID, 2011-2019, geridos pela THET: parcerias entre instituições de "
                       "saúde do Reino Unido e de outros países, que formaram profissionais de saúde e reforçaram "
                       "os serviços.",
        "terms": {
            "theme": {"Maternal and newborn health": "Saúde materna e neonatal", "Mental health": "Saúde mental",
                      "Surgery and anaesthesia": "Cirurgia e anestesia",
                      "Emergency and critical care": "Urgência e cuidados intensivos", "Child health": "Saúde infantil",
                      "Infectious diseases": "Doenças infecciosas",
                      "Non-communicable diseases": "Doenças não transmissíveis",
                      "Leadership and management": "Liderança e gestão",
                      "Nursing and midwifery education": "Formação em enfermagem e obstetrícia",
                      "Laboratory and diagnostics": "Laboratório e diagnóstico",
                      "Disability and rehabilitation": "Deficiência e reabilitação"},
            "grant_type": {"Small grant": "Subvenção pequena", "Large grant": "Subvenção grande",
                           "Long-term partnership": "Parceria de longo prazo",
                           "Strategic volunteering": "Voluntariado estratégico", "Country programme": "Programa nacional"},
            "region": {"East Africa": "África Oriental", "Southern Africa": "África Austral",
                       "West Africa": "África Ocidental", "Central Africa": "África Central",
                       "South Asia": "Ásia do Sul", "South-East Asia": "Sudeste Asiático"},
            "cadre": {"Nurse": "Enfermeiro/a", "Midwife": "Parteira", "Doctor": "Médico/a",
                      "Clinical officer": "Técnico/a de medicina", "Community health worker": "Agente comunitário de saúde",
                      "Allied health professional": "Técnico/a de saúde", "Laboratory staff": "Pessoal de laboratório",
                      "Health manager": "Gestor/a de saúde"},
            "gender": {"Female": "Mulher", "Male": "Homem", "Not recorded": "Não registado"},
            "training_type": {"In-service": "Formação em serviço", "Pre-service": "Formação inicial",
                              "Training of trainers": "Formação de formadores", "Cascade": "Em cascata"},
            "location": {"Overseas": "No estrangeiro", "UK": "Reino Unido"},
            "profession": {"Doctor": "Médico/a", "Nurse": "Enfermeiro/a", "Midwife": "Parteira",
                           "Allied health professional": "Técnico/a de saúde",
                           "Health manager": "Gestor/a de saúde", "Scientist": "Cientista"},
        },
        "indicators": {
            "uk_volunteers_improved_skills": {
                "label": "Voluntários britânicos com melhores competências",
                "description": "Voluntários britânicos regressados que demonstram melhores competências clínicas e de "
                               "liderança.",
                "how_counted": "Voluntários regressados que demonstram melhores competências clínicas e de liderança."},
            "uk_volunteers_surveyed": {
                "label": "Voluntários britânicos inquiridos",
                "description": "Voluntários britânicos regressados que responderam ao inquérito sobre o que trouxeram.",
                "how_counted": "Voluntários regressados inquiridos, somados."},
            "uk_volunteers_new_approaches": {
                "label": "Voluntários que trouxeram novas abordagens",
                "description": "Voluntários regressados inquiridos que trouxeram novas abordagens para o NHS.",
                "how_counted": "Voluntários inquiridos que referem novas abordagens, somados."},
            "new_approaches_share": {
                "label": "Voluntários que trazem novas ideias",
                "description": "Parte dos voluntários regressados inquiridos que trouxeram novas abordagens para o NHS.",
                "how_counted": "Parte dos voluntários regressados inquiridos que trouxeram novas abordagens."},
            "institutions_improved_quality": {
                "label": "Instituições com melhores serviços",
                "description": "Instituições de países de rendimento baixo e médio com serviços visados por um "
                               "projeto de melhor qualidade.",
                "how_counted": "Unidades com serviços visados mensuravelmente melhores, parceiras ou não."},
            "patients_improved_services": {
                "label": "Doentes que usam serviços melhorados",
                "description": "Doentes que usaram serviços que uma parceria melhorou.",
                "how_counted": "Doentes que usam serviços que uma parceria melhorou."},
        },
    },
}

GSP = {
    "es": {
        "name": "Alianzas Mundiales para el Uso Racional de Antimicrobianos",
        "disaggregations": {"age_band": "Grupo de edad", "disability": "Discapacidad"},
        "terms": {
            "theme": {"Antimicrobial stewardship": "Optimización del uso de antimicrobianos",
                      "Infection prevention and control": "Prevención y control de infecciones",
                      "Laboratory surveillance": "Vigilancia de laboratorio",
                      "Water, sanitation and hygiene in hospitals": "Agua, saneamiento e higiene en hospitales",
                      "Vaccination and prevention": "Vacunación y prevención"},
            "grant_type": {"Seed grant": "Subvención inicial", "Partnership grant": "Subvención de alianza",
                           "Fellowship": "Beca", "Regional network": "Red regional"},
            "region": {"Latin America": "América Latina", "Caribbean": "Caribe",
                       "Middle East and North Africa": "Oriente Medio y Norte de África", "Pacific": "Pacífico",
                       "Central Asia": "Asia Central"},
            "cadre": {"Pharmacist": "Farmacéutico/a", "Biomedical scientist": "Científico/a biomédico/a",
                      "Infection prevention nurse": "Enfermero/a de prevención de infecciones",
                      "Physician": "Médico/a", "Microbiologist": "Microbiólogo/a",
                      "Hospital manager": "Gestor/a hospitalario/a"},
            "gender": {"Woman": "Mujer", "Man": "Hombre", "Prefer not to say": "Prefiere no decirlo"},
            "training_type": {"Workshop": "Taller", "Online course": "Curso en línea", "Mentoring": "Mentoría",
                              "Train the trainer": "Formación de formadores", "Peer-led": "Entre pares"},
            "location": {"In country": "En el país", "Remote": "A distancia"},
            "profession": {"Pharmacist": "Farmacéutico/a", "Microbiologist": "Microbiólogo/a",
                           "Nurse": "Enfermero/a", "Physician": "Médico/a", "Data scientist": "Científico/a de datos"},
            "institution_type": {"NHS trust": "Trust del NHS", "University": "Universidad", "Hospital": "Hospital",
                                 "Public health agency": "Agencia de salud pública",
                                 "National laboratory": "Laboratorio nacional", "NGO": "ONG"},
            "principle": {"Shared goals": "Objetivos compartidos", "Mutual accountability": "Rendición de cuentas mutua",
                          "Local leadership": "Liderazgo local", "Sustainability": "Sostenibilidad",
                          "Learning both ways": "Aprendizaje mutuo"},
            "age_band": {"Under 25": "Menos de 25", "25-34": "25-34", "35-49": "35-49", "50 and over": "50 y más",
                         "Not recorded": "Sin registrar"},
            "disability": {"Yes": "Sí", "No": "No", "Not recorded": "Sin registrar"},
        },
        "indicators": {
            "facilities_with_stewardship": {
                "label": "Centros con un programa de optimización",
                "description": "Centros de salud con un programa de optimización del uso de antimicrobianos.",
                "how_counted": "El último recuento de cada proyecto y país, sumado (un centro no se cuenta dos veces "
                               "a lo largo del tiempo)."},
            "prescriptions_audited": {
                "label": "Recetas auditadas",
                "description": "Recetas de antibióticos auditadas según las guías.",
                "how_counted": "Recetas auditadas cada trimestre, sumadas."},
            "prescriptions_compliant": {
                "label": "Recetas conformes a las guías",
                "description": "Recetas auditadas que siguieron las guías.",
                "how_counted": "Recetas conformes cada trimestre, sumadas."},
            "prescribing_compliance": {
                "label": "Prescripción conforme a las guías",
                "description": "Proporción de recetas de antibióticos auditadas que siguieron las guías.",
                "how_counted": "Recetas conformes divididas entre recetas auditadas."},
            "volunteers_new_skills": {
                "label": "Voluntarios con nuevas competencias",
                "description": "Voluntarios que declararon competencias que llevaron de vuelta a casa.",
                "how_counted": "Voluntarios que declaran nuevas competencias al regresar, sumados."},
        },
    },
    "fr": {
        "name": "Partenariats mondiaux pour le bon usage des antimicrobiens",
        "disaggregations": {"age_band": "Tranche d'âge", "disability": "Handicap"},
        "terms": {
            "theme": {"Antimicrobial stewardship": "Bon usage des antimicrobiens",
                      "Infection prevention and control": "Prévention et contrôle des infections",
                      "Laboratory surveillance": "Surveillance en laboratoire",
                      "Water, sanitation and hygiene in hospitals": "Eau, assainissement et hygiène à l'hôpital",
                      "Vaccination and prevention": "Vaccination et prévention"},
            "grant_type": {"Seed grant": "Subvention d'amorçage", "Partnership grant": "Subvention de partenariat",
                           "Fellowship": "Bourse", "Regional network": "Réseau régional"},
            "region": {"Latin America": "Amérique latine", "Caribbean": "Caraïbes",
                       "Middle East and North Africa": "Moyen-Orient et Afrique du Nord", "Pacific": "Pacifique",
                       "Central Asia": "Asie centrale"},
            "cadre": {"Pharmacist": "Pharmacien ou pharmacienne", "Biomedical scientist": "Biologiste médical",
                      "Infection prevention nurse": "Infirmier ou infirmière hygiéniste",
                      "Physician": "Médecin", "Microbiologist": "Microbiologiste",
                      "Hospital manager": "Gestionnaire hospitalier"},
            "gender": {"Woman": "Femme", "Man": "Homme", "Prefer not to say": "Préfère ne pas répondre"},
            "training_type": {"Workshop": "Atelier", "Online course": "Cours en ligne", "Mentoring": "Mentorat",
                              "Train the trainer": "Formation de formateurs", "Peer-led": "Entre pairs"},
            "location": {"In country": "Dans le pays", "Remote": "À distance"},
            "profession": {"Pharmacist": "Pharmacien ou pharmacienne", "Microbiologist": "Microbiologiste",
                           "Nurse": "Infirmier ou infirmière", "Physician": "Médecin",
                           "Data scientist": "Scientifique des données"},
            "institution_type": {"NHS trust": "Trust du NHS", "University": "Université", "Hospital": "Hôpital",
                                 "Public health agency": "Agence de santé publique",
                                 "National laboratory": "Laboratoire national", "NGO": "ONG"},
            "principle": {"Shared goals": "Objectifs partagés", "Mutual accountability": "Responsabilité mutuelle",
                          "Local leadership": "Leadership local", "Sustainability": "Durabilité",
                          "Learning both ways": "Apprentissage réciproque"},
            "age_band": {"Under 25": "Moins de 25 ans", "25-34": "25-34 ans", "35-49": "35-49 ans",
                         "50 and over": "50 ans et plus", "Not recorded": "Non renseigné"},
            "disability": {"Yes": "Oui", "No": "Non", "Not recorded": "Non renseigné"},
        },
        "indicators": {
            "facilities_with_stewardship": {
                "label": "Établissements dotés d'un programme de bon usage",
                "description": "Établissements de santé menant un programme de bon usage des antimicrobiens.",
                "how_counted": "Le dernier décompte de chaque projet et pays, additionné (un établissement n'est pas "
                               "compté deux fois dans le temps)."},
            "prescriptions_audited": {
                "label": "Prescriptions auditées",
                "description": "Prescriptions d'antibiotiques auditées au regard des recommandations.",
                "how_counted": "Prescriptions auditées chaque trimestre, additionnées."},
            "prescriptions_compliant": {
                "label": "Prescriptions conformes aux recommandations",
                "description": "Prescriptions auditées qui ont suivi les recommandations.",
                "how_counted": "Prescriptions conformes chaque trimestre, additionnées."},
            "prescribing_compliance": {
                "label": "Prescriptions conformes aux recommandations (part)",
                "description": "Part des prescriptions d'antibiotiques auditées qui ont suivi les recommandations.",
                "how_counted": "Prescriptions conformes divisées par les prescriptions auditées."},
            "volunteers_new_skills": {
                "label": "Volontaires déclarant de nouvelles compétences",
                "description": "Volontaires qui ont déclaré des compétences rapportées chez eux.",
                "how_counted": "Volontaires déclarant de nouvelles compétences à leur retour, additionnés."},
        },
    },
}


# The validation rules' messages (`translations.LANG.rules`, by rule id), shown to a partner whose return breaks one.
_WOMEN = {"fr": "Les femmes formées ne peuvent pas être plus nombreuses que l'ensemble des agents de santé formés.",
          "pt": "As mulheres formadas não podem ser mais do que todos os profissionais de saúde formados.",
          "es": "Las mujeres capacitadas no pueden ser más que todos los trabajadores de salud capacitados."}
_DAYS = {"fr": "Chaque mission de volontariat compte au moins une journée : les journées de volontariat ne peuvent pas "
               "être moins nombreuses que les missions.",
         "pt": "Cada missão de voluntariado dá pelo menos um dia: os dias de voluntariado não podem ser menos do que as "
               "missões.",
         "es": "Cada misión de voluntariado aporta al menos un día: los días de voluntariado no pueden ser menos que "
               "las misiones."}
_APPROACHES = {"fr": "Les volontaires britanniques qui rapportent de nouvelles approches font partie des personnes "
                     "interrogées : ils ne peuvent pas être plus nombreux.",
               "pt": "Os voluntários do Reino Unido que trazem novas abordagens estão entre os inquiridos: não podem ser "
                     "mais."}
_COMPLIANT = {"fr": "Les prescriptions conformes font partie des prescriptions auditées : elles ne peuvent pas être "
                    "plus nombreuses.",
              "es": "Las prescripciones conformes están entre las auditadas: no pueden ser más."}
RULES = {
    "hps": {language: {"women-within-trained": _WOMEN[language], "days-per-placement": _DAYS[language],
                       "new-approaches-within-surveyed": _APPROACHES[language]} for language in ("fr", "pt")},
    "gsp": {language: {"women-within-trained": _WOMEN[language], "days-per-placement": _DAYS[language],
                       "compliant-within-audited": _COMPLIANT[language]} for language in ("es", "fr")},
}


# The home section's words (GBR, "UK" and "Overseas" in both programmes): the sides' labels, and the home side in
# a sentence as the catalogues' messages use it ("depuis le Royaume-Uni", "desde o Reino Unido").
HOME = {"fr": {"home": "Royaume-Uni", "overseas": "Pays partenaires", "in_sentence": "le Royaume-Uni"},
        "pt": {"home": "Reino Unido", "overseas": "Países parceiros", "in_sentence": "o Reino Unido"},
        "es": {"home": "Reino Unido", "overseas": "Países socios", "in_sentence": "el Reino Unido"}}


def translations(raw: dict, rules: dict[str, dict[str, str]] | None = None) -> dict[str, programmes.Translation]:
    """A definition's translations from the shape `programme.json` holds (with its rules' messages, by language)."""
    return {language: programmes.Translation(**given, rules=dict((rules or {}).get(language, {})),
                                             home=dict(HOME[language]))
            for language, given in raw.items()}
