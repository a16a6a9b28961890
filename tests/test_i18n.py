"""Languages: the catalogues are complete and current, numbers follow the locale (Babel's own output), a programme's
content is translated as data, and a page in French, Portuguese or Spanish shows none of the English interface."""

from __future__ import annotations

import html
import json
import re
import threading

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from impact import cli
from impact.model import i18n, metrics
from impact.model import programme as programmes
from impact.storage import store
from tests.conftest import ROOT, make_app, metrics_shown

LOCALE_DIR = ROOT / "impact" / "locale"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _template():
    with open(LOCALE_DIR / "impact.pot", "rb") as handle:
        return read_po(handle)


def _catalogue(language: str):
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "impact.po", "rb") as handle:
        return read_po(handle, locale=language)


# ---- the catalogues ----------------------------------------------------------------------------------

def test_the_template_holds_every_message_the_code_marks():
    """`pybabel extract` run again finds the same messages as the committed template (babel.cfg's mapping)."""
    method_map = [("app.py", "python"), ("pages/**.py", "python"), ("impact/**.py", "python"),
                  ("impact/publish/templates/**.html", "jinja2")]
    found = {message for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map)
             if isinstance(message, str)}
    found |= {m[0] for _f, _l, m, _c, _x in extract_from_dir(str(ROOT), method_map) if isinstance(m, tuple)}
    committed = {m.id if isinstance(m.id, str) else m.id[0] for m in _template() if m.id}
    assert found == committed, ("run pybabel extract (README, Languages): missing " + repr(sorted(found - committed))
                                + ", stale " + repr(sorted(committed - found)))


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_every_interface_message_has_a_translation(language):
    template = {m.id for m in _template() if m.id}
    catalogue = {m.id: m for m in _catalogue(language) if m.id}
    missing = sorted(m for m in template if m not in catalogue or not catalogue[m].string
                     or "fuzzy" in catalogue[m].flags)
    assert missing == [], f"{language}: messages with no translation"
    for msgid, message in catalogue.items():
        if msgid in template:  # the same {placeholders}, so .format() never fails or drops a value
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(msgid)), msgid


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_compiled_catalogue_is_the_po_files(language):
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "impact.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    source = {m.id: m.string for m in _catalogue(language) if m.id and m.string}
    assert compiled == source, "run pybabel compile -D impact -d impact/locale"


def test_a_message_missing_from_a_catalogue_is_shown_in_english():
    assert i18n.translator("fr").gettext("A sentence no catalogue holds.") == "A sentence no catalogue holds."
    assert i18n.translator("fr").gettext("Health workers trained") == "Agents de santé formés"
    assert i18n.translator("xx") is i18n.translator("en")  # an unknown language is English


# ---- numbers, dates and Plotly's separators per locale ---------------------------------------------------

@pytest.mark.parametrize("language", list(i18n.LANGUAGES))
def test_numbers_are_written_as_the_locale_writes_them(language):
    locale = Locale.parse(language)
    group, decimal = locale.number_symbols["latn"]["group"], locale.number_symbols["latn"]["decimal"]
    with i18n.using(language):
        assert metrics.format_value(93_112) == "93" + group + "112"
        assert metrics.format_value(1234.5) == "1" + group + "234" + decimal + "5"
        assert metrics.format_value(0.74, "percent") == locale.percent_formats[None].pattern.replace(
            "#,##0", "74").replace("%", locale.number_symbols["latn"]["percentSign"])
        assert i18n.active().plotly_separators == decimal + group


def test_french_numbers_use_narrow_no_break_spaces():
    with i18n.using("fr"):
        assert metrics.format_value(93_112) == "93\u202f112"
        assert metrics.format_value(0.74, "percent") == "74\u00a0%"
        assert i18n.active().date(__import__("datetime").date(2016, 12, 31)) == "31 déc. 2016"
    assert metrics.format_value(93_112) == "93,112" and metrics.format_value(0.74, "percent") == "74%"
    assert metrics.format_value(30e6, "money") == "£30m"  # the English style the published figures use


def test_a_language_is_taken_from_the_browser_preferences():
    assert i18n.negotiate("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert i18n.negotiate("de-DE,pt-BR;q=0.5") == "pt"
    assert i18n.negotiate("es-419") == "es"
    assert i18n.negotiate("de, zh;q=0.7") is None and i18n.negotiate(None) is None and i18n.negotiate("") is None
    assert i18n.negotiate("en;q=0.1, fr;q=0.9") == "fr"  # by quality, not by order
    assert i18n.negotiate("fr;q=abc") is None  # a malformed quality counts as not wanted


def test_two_threads_in_two_languages_do_not_mix():
    """Each session's run is its own thread (and context): one activated language never reaches another."""
    seen, ready = {}, threading.Barrier(2)

    def run(language):
        i18n.activate(language)
        ready.wait()  # both activated before either reads
        seen[language] = (i18n.gettext("Health workers trained"), metrics.format_value(93_112))

    threads = [threading.Thread(target=run, args=(lang,)) for lang in ("fr", "en")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"fr": ("Agents de santé formés", "93\u202f112"), "en": ("Health workers trained", "93,112")}
    assert i18n.active().language == "en"  # this thread never activated one


def test_a_right_to_left_language_would_lay_the_page_out_from_the_right():
    from impact.app import styles

    assert i18n.Translator("ar").direction == "rtl" and "direction: rtl" in styles.direction_style(i18n.Translator("ar"))
    assert all(i18n.translator(code).direction == "ltr" for code in i18n.LANGUAGES)
    assert styles.direction_style(i18n.translator("fr")) == ""


# ---- a programme's content, translated as data -------------------------------------------------------------

def _definition(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_shipped_programmes_carry_their_translations():
    hps = programmes.read(ROOT / "data" / programmes.FILE)
    gsp = programmes.read(ROOT / "data" / "programmes" / "gsp" / programmes.FILE)
    assert {"fr", "pt"} <= set(hps.translations) and {"es", "fr"} <= set(gsp.translations)
    for held, languages in ((hps, ("fr", "pt")), (gsp, ("es", "fr"))):
        for language in languages:
            assert held.name_in(language) not in ("", held.name)
            assert all(held.label("theme", v, language) != v for v in held.values("theme"))
            assert all(held.indicator_texts(i.code, language).get("label") for i in held.indicators)
    assert hps.label("theme", "Mental health", "fr") == "Santé mentale"
    assert hps.label("theme", "Mental health", "es") == "Mental health"  # no Spanish for the HPS: English
    assert gsp.disaggregation_label("age_band", "es") == "Grupo de edad"


def test_programme_check_lists_the_missing_translations(capsys):
    path = ROOT / "data" / programmes.FILE
    raw = _definition(path)
    assert cli.main(["programme", "check", str(path)]) == 0
    out = capsys.readouterr().out
    for language in i18n.TRANSLATED:
        given = raw.get("translations", {}).get(language, {})
        missing = [] if given.get("name") else [f"translations.{language}.name"]
        for vocabulary, values in raw["vocabularies"].items():
            labels = given.get("terms", {}).get(vocabulary, {})
            missing += [f"translations.{language}.terms.{vocabulary}: {(v if isinstance(v, str) else v['value'])!r}"
                        for v in values if (v if isinstance(v, str) else v["value"]) not in labels]
        for indicator in raw["indicators"]:
            texts = given.get("indicators", {}).get(indicator["code"], {})
            missing += [f"translations.{language}.indicators.{indicator['code']}.{name}"
                        for name in ("label", "description", "how_counted") if indicator.get(name) and name not in texts]
        missing += [f"translations.{language}.rules.{rule['id']}" for rule in raw.get("validation_rules", [])
                    if rule["id"] not in given.get("rules", {})]
        missing += [f"translations.{language}.home.{key}" for key in ("home", "overseas", "in_sentence")
                    if key not in given.get("home", {})]
        if missing:
            assert f"{language}: {len(missing):,} text(s) with no translation, shown in English:" in out
            for where in missing:
                assert f"  {where}\n" in out
        else:
            assert f"{language}: every text translated" in out
    assert "es: " in out and "translations.es.name" in out  # the HPS has no Spanish
    assert "translations.fr.terms.principle" in out  # nor French labels of its principles


@pytest.mark.parametrize("change, where", [
    (lambda t: t.update({"de": {"name": "Programm"}}), "translations.de"),
    (lambda t: t["fr"]["terms"].update({"colour": {"Red": "Rouge"}}), "translations.fr.terms.colour"),
    (lambda t: t["fr"]["terms"]["theme"].update({"Astrology": "Astrologie"}), "translations.fr.terms.theme.Astrology"),
    (lambda t: t["fr"]["indicators"].update({"no_such_code": {"label": "X"}}), "translations.fr.indicators.no_such_code"),
    (lambda t: t["fr"].update({"name": 7}), "translations.fr.name"),
    (lambda t: t["fr"].update({"slogan": "Ensemble"}), "translations.fr.slogan"),
    (lambda t: t["fr"].update({"rules": {"no-such-rule": "Règle"}}), "translations.fr.rules.no-such-rule"),
    (lambda t: t["fr"]["home"].update({"capital": "Londres"}), "translations.fr.home.capital"),
    (lambda t: t["fr"]["home"].update({"home": ""}), "translations.fr.home.home"),
])
def test_a_bad_translation_is_refused_naming_its_field(change, where):
    raw = _definition(ROOT / "data" / programmes.FILE)
    change(raw["translations"])
    with pytest.raises(programmes.DefinitionError) as refused:
        programmes.parse(raw)
    assert any(field == where for field, _message in refused.value.problems), refused.value.problems


@pytest.mark.parametrize("language, days_from_home, home_lead", [
    ("fr", "Journées de volontariat depuis le Royaume-Uni", "Chef de file (Royaume-Uni)"),
    ("pt", "Dias de voluntariado desde o Reino Unido", "Líder (Reino Unido)"),
    ("es", "Días de voluntariado desde el Reino Unido", "Líder (Reino Unido)"),
])
def test_the_sides_are_read_in_the_language_while_the_stored_sides_stay(language, days_from_home, home_lead):
    from impact.charts import export

    held = {"fr": "hps", "pt": "hps", "es": "gsp"}[language]
    path = ROOT / "data" / (programmes.FILE if held == "hps" else f"programmes/gsp/{programmes.FILE}")
    definition = programmes.read(path)
    raw = _definition(path)["translations"][language]["home"]
    with i18n.using(language), metrics.using(definition):
        assert metrics.metric("volunteer_days_uk").label == days_from_home
        assert metrics.metric("institutions_uk").label.endswith(f"({raw['home']})")
        assert metrics.metric("institutions_overseas").label.endswith(f"({raw['overseas']})")
        assert export.column_label("uk_lead") == home_lead
    with i18n.using("en"), metrics.using(definition):
        assert metrics.metric("volunteer_days_uk").label == "Volunteer days from the UK"
        assert export.column_label("uk_lead") == "UK lead"
    assert definition.home.sides == ("UK", "Overseas", programmes.NOT_KNOWN)  # what institutions.side holds
    assert definition.home_in(language).home == raw["home"] != definition.home.home


def test_a_translation_changes_no_stored_value():
    """Labels are for showing: the vocabularies, and so what is stored, filtered on and imported, stay the codes."""
    raw = _definition(ROOT / "data" / programmes.FILE)
    with_labels = programmes.parse(raw)
    raw.pop("translations")
    without = programmes.parse(raw)
    assert with_labels.vocabularies == without.vocabularies and with_labels.indicators == without.indicators
    assert programmes.parse(json.loads(with_labels.to_json())) == with_labels


# ---- pages in AppTest --------------------------------------------------------------------------------------

def _url(at, key: str) -> list[str]:
    """A URL query parameter as a list (AppTest gives a single value as a string)."""
    value = at.query_params[key]
    return [value] if isinstance(value, str) else list(value)


def _texts(at, headings: bool = False) -> list[str]:
    """Every text the page and sidebar show: titles, headers, captions, Markdown, notices, widget labels and
    options, tile labels and help, expander and tab labels (with `headings`, the tables' column headings too);
    Markdown's escapes removed."""
    out = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success"):
        out += [e.value for e in at.get(kind)]
    for kind in ("button", "selectbox", "multiselect", "radio", "text_input", "toggle", "checkbox", "text_area",
                 "date_input", "number_input", "download_button", "file_uploader", "form_submit_button"):
        for e in at.get(kind):
            out.append(e.label)
            out += [str(o) for o in getattr(e, "options", []) or []]
            out.append(getattr(e.proto, "placeholder", "") or "")
            out.append(getattr(e.proto, "help", "") or "")
    for e in at.get("metric"):
        out += [e.label, e.proto.help]
    out += [e.proto.label for e in at.get("expander")]
    out += [str(label) for e in at.get("tab") for label in [getattr(e, "label", "")]]
    for table in at.get("dataframe") if headings else []:  # a table's column headings (its cells are data)
        shown = json.loads(getattr(table.proto, "columns", "") or "{}")  # the headings its column config gives
        out += [str((shown.get(str(column)) or {}).get("label") or column)
                for column in getattr(table.value, "columns", [])]
    for chart in at.get("plotly_chart"):  # a chart's title and subtitle (the filters)
        title = json.loads(chart.proto.spec)["layout"].get("title", {}).get("text", "")
        out += [html.unescape(re.sub(r"<[^>]+>", "", part)) for part in title.split("<br>")]
    lines = [line.strip() for t in out if t for line in re.sub(r"\\(.)", r"\1", str(t)).split("\n")]
    return [line for line in lines if line]


def _content(programme: programmes.Programme) -> set[str]:
    """A programme's own English texts, shown where a language has no translation of them (data, not interface)."""
    out = {programme.name, programme.short_name, programme.description}
    out |= {v for name in programme.vocabularies for v in programme.values(name)}
    out |= {getattr(i, name) for i in programme.indicators for name in ("label", "description", "how_counted")}
    out |= {r.note for r in programme.reference_figures} | {r.source for r in programme.reference_figures}
    return {text for text in out if text}


def _without(texts: list[str], content: set[str]) -> list[str]:
    """The texts with the programme's own English texts taken out of them (a published figure's note and source)."""
    out = []
    for text in texts:
        if text in content:
            continue
        for own in sorted(content, key=len, reverse=True):
            if len(own) > 12:
                text = text.replace(own, "")
        out.append(text)
    return out


def _english_left(texts: list[str], language: str) -> list[str]:
    """The interface's English messages (their words between placeholders) found on a page shown in `language`."""
    catalogue = {}
    for m in _catalogue(language):
        if isinstance(m.id, tuple):  # a plural: each form
            catalogue.update(zip(m.id, (m.string[0], m.string[-1]), strict=True))
        elif m.id:
            catalogue[m.id] = m.string
    left = []
    for msgid, translated in catalogue.items():
        if translated == msgid:
            continue
        for words in PLACEHOLDER.split(msgid)[::2]:  # the text between {placeholders}
            words = words.strip(" .,:;()*")
            if len(words) < 4 or " " not in words and not msgid == words or words in translated:
                continue
            if any(words == t or (" " in words and words in t) for t in texts):
                left.append(words)
    return sorted(set(left))


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_overview_in_another_language_shows_no_english_interface_message(shipped_app, language):
    at = make_app(query={"lang": [language]})
    content = _content(programmes.read(ROOT / "data" / programmes.FILE))
    texts = _without(_texts(at), content)
    assert len(texts) > 40  # titles, captions, tiles, the sidebar's widgets…
    assert _english_left(texts, language) == []
    words = i18n.translator(language)
    tiles = metrics_shown(at)
    # The published figures, in the locale's way of writing numbers (Babel's), under translated labels.
    assert tiles[words.gettext("Health workers trained")] == words.number(93_112)
    assert tiles[words.gettext("Projects")] == "210"
    assert at.selectbox(key="language_choice").value == language
    assert _url(at, "lang") == [language]  # kept in the link
    for element in at.get("plotly_chart"):
        assert json.loads(element.proto.spec)["layout"]["separators"] == words.plotly_separators


def test_the_overview_in_french_shows_french_numbers_and_hps_labels(shipped_app):
    at = make_app(query={"lang": ["fr"]})
    tiles = metrics_shown(at)
    assert tiles["Agents de santé formés"] == "93\u202f112"
    assert tiles["Volontaires rapportant de nouvelles idées"] == "74\u00a0%"
    assert tiles["Patients bénéficiant de services améliorés"] == "499\u202f568"
    assert at.title[0].value.startswith("Programme de partenariats en santé")
    themes = next(json.loads(e.proto.spec) for e in at.get("plotly_chart")
                  if "par thème" in json.loads(e.proto.spec)["layout"]["title"]["text"])
    assert "Santé mentale" in themes["data"][0]["y"] and "Mental health" not in themes["data"][0]["y"]
    top = next(json.loads(e.proto.spec) for e in at.get("plotly_chart")
               if "Principaux pays" in json.loads(e.proto.spec)["layout"]["title"]["text"])
    assert "Tanzanie" in top["data"][0]["y"] and "Tanzania" not in top["data"][0]["y"]  # CLDR's names, via Babel
    sidebar_themes = next(m for m in at.sidebar.multiselect if m.label == "Thème")
    assert "Santé mentale" in sidebar_themes.options and "Mental health" not in sidebar_themes.options
    sidebar_themes.select("Mental health").run()  # the stored value is what is chosen and kept in the link
    assert _url(at, "theme") == ["Mental health"] and _url(at, "lang") == ["fr"]
    assert any("Thème\u00a0: Santé mentale" in c.value.replace("\\", "") for c in at.caption)


def test_a_french_session_and_an_english_one_do_not_leak(shipped_app):
    french = make_app(query={"lang": ["fr"]})
    english = make_app()
    french.run()  # a rerun of the first session after the second ran in the same process
    assert "Agents de santé formés" in metrics_shown(french) and "Health workers trained" in metrics_shown(english)
    assert metrics_shown(english)["Health workers trained"] == "93,112"
    assert metrics_shown(french)["Agents de santé formés"] == "93\u202f112"


def test_a_language_chosen_in_the_sidebar_is_kept_in_the_link(shipped_app):
    at = make_app()
    assert "lang" not in at.query_params and metrics_shown(at)["Health workers trained"] == "93,112"
    at.selectbox(key="language_choice").select("pt").run()
    assert _url(at, "lang") == ["pt"]
    assert metrics_shown(at)["Profissionais de saúde formados"] == "93.112"


def test_an_unknown_language_in_the_link_is_said_and_english_is_used(shipped_app):
    at = make_app(query={"lang": ["xx"]})
    assert "Health workers trained" in metrics_shown(at)
    assert any("Ignored the language 'xx'" in c.value.replace("\\", "") for c in at.sidebar.caption)


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_a_project_page_in_another_language_shows_no_english_interface_message(shipped_app, shipped, language):
    project_id, trainees = shipped.rows("select project_id, sum(trainees) from training group by 1 "
                                        "order by sum(trainees) desc limit 1")[0]
    at = make_app("pages/partnerships.py", query={"lang": [language], "project": [project_id]})
    content = _content(programmes.read(ROOT / "data" / programmes.FILE))
    texts = _without(_texts(at), content)
    assert _english_left(texts, language) == []
    words = i18n.translator(language)
    assert metrics_shown(at)[words.gettext("Health workers trained")] == words.number(int(trainees))
    assert words.gettext("Quarterly return") in [h.value for h in at.header]
    assert _url(at, "lang") == [language] and _url(at, "project") == [project_id]


@pytest.mark.parametrize("language", i18n.TRANSLATED)
@pytest.mark.parametrize("page", ["pages/workforce.py", "pages/volunteering.py"])
def test_the_workforce_and_volunteering_pages_in_another_language(shipped_app, shipped, page, language):
    at = make_app(page, query={"lang": [language]})
    content = _content(programmes.read(ROOT / "data" / programmes.FILE))
    texts = _without(_texts(at), content)
    assert _english_left(texts, language) == []
    words = i18n.translator(language)
    trained = shipped.scalar("select sum(trainees) from training")
    assert metrics_shown(at)[words.gettext("Health workers trained")] == words.number(int(trained))
    assert len(at.get("plotly_chart")) >= 4


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_partnerships_listing_in_another_language(shipped_app, shipped, language):
    at = make_app("pages/partnerships.py", query={"lang": [language]})
    texts = _texts(at)
    assert _english_left(texts, language) == []
    words = i18n.translator(language)
    projects = shipped.scalar("select count(*) from projects")
    then = words.gettext("Select a row to open the project's page; click a heading to sort.")
    assert words.gettext("{count} projects. {then}").format(count=words.number(projects), then=then) in texts


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_countries_page_and_a_country_profile_in_another_language(shipped_app, shipped, language):
    words = i18n.translator(language)
    at = make_app("pages/countries.py", query={"lang": [language]})
    assert _english_left(_texts(at), language) == []
    trained = shipped.scalar("select sum(trainees) from training where iso3 = 'UGA'")
    at = make_app("pages/countries.py", query={"lang": [language], "country": ["UGA"]})
    content = _content(programmes.read(ROOT / "data" / programmes.FILE))
    texts = _without(_texts(at), content)
    assert _english_left(texts, language) == []
    assert at.title[0].value == words.country("UGA", "Uganda")  # CLDR's name: Ouganda in French
    assert metrics_shown(at)[words.gettext("Health workers trained")] == words.number(int(trained))


def test_a_filter_shown_in_french_is_kept_from_page_to_page(shipped_app, shipped):
    """The country box shows 'Ouganda' in French; the value kept (and in the link) stays UGA on the next page."""
    at = make_app("pages/workforce.py", query={"lang": ["fr"], "country": ["UGA"]})
    assert _url(at, "country") == ["UGA"] and _url(at, "lang") == ["fr"]
    trained = shipped.scalar("select sum(trainees) from training where iso3 = 'UGA'")
    assert metrics_shown(at)["Agents de santé formés"] == i18n.translator("fr").number(int(trained))
    assert "Ouganda" in next(m for m in at.sidebar.multiselect if m.label == "Pays").options


def test_a_partner_sends_a_flagged_return_in_french(data_store, picks, monkeypatch):
    """Signed in on the project's page in French: the form, the flags' warning and the receipt are French, and what
    is kept is the same return as in English (stored values are codes)."""
    from impact.reporting import partners
    from tests.test_checks import _flagged_pick, _unusual
    from tests.test_partners import PARTNER_PASSWORD, _serve, account
    from tests.test_returns import returns_xlsx

    project, period = _flagged_pick(data_store, picks)
    partner = account(data_store, [project])
    _serve(data_store, monkeypatch)
    at = make_app("pages/partnerships.py", {"project": project, "lang": "fr"})
    at.text_input(key="partner_email").input(partner.email)
    at.text_input(key="partner_password").input(PARTNER_PASSWORD)
    assert at.text_input(key="partner_password").label == "Mot de passe"
    next(b for b in at.button if b.label == "Se connecter").click()
    at.run()
    at.selectbox(key="return_quarter").set_value(period)
    at.run()
    at.file_uploader(key="partner_upload").set_value(("unusual.xlsx", _unusual(data_store, project, period),
                                                      returns_xlsx()))
    at.run()
    next(b for b in at.button if b.label == "Envoyer le rapport").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("demandent une explication avant l'envoi" in w.value.replace("\\", "") for w in at.warning)
    # The flags' English record (message, expected) is kept with the return; the page says them again in French —
    # and names what each reads by its French label, not its code.
    flagged = {str(f[k]) for f in at.session_state["partner_flags"]["flags"] for k in ("message", "expected")}
    content = _content(programmes.read(data_store / programmes.FILE)) | flagged
    assert _english_left(_without(_texts(at), content), "fr") == []
    assert any(m.value.startswith("**Agents de santé formés** (") for m in at.markdown), [m.value for m in at.markdown]
    assert not any("**trainees**" in m.value for m in at.markdown)
    for box in [t for t in at.text_area if t.key.startswith("explain_")]:
        assert box.label == "Pourquoi ce nombre est juste"
        box.input("Une campagne nationale")
    at.run()
    next(b for b in at.button if b.label == "Envoyer avec ces explications").click()
    at.run()
    assert any("reçu" in s.value and "l'équipe du programme va le vérifier" in s.value.replace("\\", "")
               for s in at.success), [s.value for s in at.success]
    [kept] = partners.submissions(store.open_store(data_store))
    assert kept.project == project and "outlier:trainees" in {f["key"] for f in kept.flags}


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_results_page_in_another_language(shipped_app, language):
    at = make_app("pages/results.py", query={"lang": [language]})
    content = _content(programmes.read(ROOT / "data" / programmes.FILE))
    texts = _without(_texts(at), content)
    assert len(texts) > 30
    assert _english_left(texts, language) == []
    words = i18n.translator(language)
    assert words.gettext("The programme's targets") in [h.value for h in at.header]


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_metric_explorer_in_another_language(shipped_app, language):
    at = make_app("pages/explore.py", query={"lang": [language], "by": ["cadre"], "split": ["gender"]})
    content = _content(programmes.read(ROOT / "data" / programmes.FILE))
    assert _english_left(_without(_texts(at), content), language) == []
    words = i18n.translator(language)
    assert at.selectbox(key="u_metric").label == words.gettext("Metric")
    assert _url(at, "by") == ["cadre"] and _url(at, "split") == ["gender"]  # the link keeps the codes


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_portfolio_in_another_language(shipped_app, shipped, language):
    at = make_app("pages/portfolio.py", query={"lang": [language]})
    content = set()
    for path in (ROOT / "data" / programmes.FILE, ROOT / "data" / "programmes" / "gsp" / programmes.FILE):
        content |= _content(programmes.read(path))
    assert _english_left(_without(_texts(at), content), language) == []
    words = i18n.translator(language)
    trained = shipped.scalar("select sum(trainees) from training")
    tile = metrics_shown(at)[words.gettext("Health workers trained")]  # both programmes added up
    shown = " ".join(c.value.replace("\\", "") for c in at.caption)
    assert tile != words.number(int(trained)) and words.number(int(trained)) in shown


# ---- the Present page and a partner's My projects -------------------------------------------------------------

def _deck_texts() -> set[str]:
    """The shipped decks' own names, slide titles and speaker notes (data, as a programme's texts are)."""
    out = set()
    for path in (ROOT / "decks").glob("*.json"):
        held = json.loads(path.read_text(encoding="utf-8"))
        out |= {held.get("name", "")} | {s.get(k, "") for s in held.get("slides", []) for k in ("title", "note")}
    return {text for text in out if text}


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_present_page_in_another_language(shipped_app, language):
    at = make_app("pages/present.py", query={"lang": [language]})
    content = _content(programmes.read(ROOT / "data" / programmes.FILE)) | _deck_texts()
    texts = _without(_texts(at, headings=True), content)
    assert _english_left(texts, language) == []
    words = i18n.translator(language)
    slides = len(json.loads((ROOT / "decks" / "hps.json").read_text(encoding="utf-8"))["slides"])
    where = words.gettext("Slide {number} of {total}").format(number=words.number(1), total=words.number(slides))
    assert any(where in m.value for m in at.markdown)
    assert [b.label for b in at.button if b.key in ("present_prev", "present_next")] == [
        words.gettext("Previous"), words.gettext("Next")]
    assert {e.proto.label for e in at.get("expander")} >= {words.gettext("Edit the deck"),
                                                           words.gettext("Download the deck (PowerPoint, PDF or HTML)")}
    # The deck editor lists the catalogue's charts by their titles in the language.
    assert words.gettext("Health workers trained by theme") in at.selectbox(key="deck_add_chart").options
    for element in at.get("plotly_chart"):
        assert json.loads(element.proto.spec)["layout"]["separators"] == words.plotly_separators


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_my_projects_in_another_language(data_store, picks, monkeypatch, language):
    """A partner's home in French, Portuguese and Spanish: no English interface message, the due date in the locale's
    words, the statuses translated and the figures in the locale's digits."""
    import datetime as dt

    from impact.app import partner_home
    from impact.reporting import comments, due, partners
    from tests.test_my_projects import _expected_due
    from tests.test_partners import PARTNER_PASSWORD, _serve, account, corrected

    words = i18n.translator(language)
    (first, period), (second, _period) = picks[0], picks[1]
    partner = account(data_store, [first, second])
    mine = partners.submit(store.open_store(data_store), partner, "ours.xlsx",
                           corrected(data_store, first, period)).submission
    partners.send_back(store.open_store(data_store), mine.id, "Check the volunteer days", "team@example.org")
    comments.post_by_team(store.open_store(data_store), mine.id, "Which site?", "team@example.org")
    as_of = period + dt.timedelta(days=100)
    monkeypatch.setattr(partner_home, "today", lambda: as_of)
    _serve(data_store, monkeypatch)
    at = make_app("pages/my_projects.py", query={"lang": [language]})
    assert at.title[0].value == words.gettext("My projects")
    content = _content(programmes.read(data_store / programmes.FILE))
    assert _english_left(_without(_texts(at, headings=True), content), language) == []  # the sign-in
    at.text_input(key="partner_email").input(partner.email)
    at.text_input(key="partner_password").input(PARTNER_PASSWORD)
    next(b for b in at.button if b.label == words.gettext("Sign in")).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts = _without(_texts(at, headings=True), content | {"Check the volunteer days", "Which site?"})
    assert len(texts) > 40
    assert _english_left(texts, language) == []
    label, due_by, status = _expected_due(data_store, first, as_of)
    owed = next(d.value for d in at.dataframe if words.gettext("quarter due") in d.value.columns)
    row = owed.iloc[0]
    assert (row[words.gettext("project")], row[words.gettext("quarter due")], row[words.gettext("due by")],
            row[words.gettext("status")]) == (first, label, words.date(due_by), words.gettext(due.SENT_BACK))
    sentence = words.gettext("The return for {quarter} (due {day}) came back from the programme team: correct it and "
                             "send it again.").format(quarter=label, day=words.date(due_by, "long"))
    assert any(w.value.replace("\\", "").startswith(sentence) for w in at.warning), [w.value for w in at.warning]
    assert words.date(due_by, "long") != i18n.translator("en").date(due_by, "long")  # the month's name translated
    history = next(d.value for d in at.dataframe if words.gettext("last step (UTC)") in d.value.columns)
    assert history[words.gettext("state")].tolist() == [words.gettext(partners.RETURNED)]
    assert words.gettext(partners.RETURNED) != partners.RETURNED
    import duckdb

    trained = duckdb.execute("select sum(trainees) from read_parquet($path) where project_id = $project",
                             {"path": str(data_store / "training.parquet"), "project": first}).fetchone()[0]
    assert words.number(int(trained)) in [m.value for m in at.metric]


# ---- the Data page, every tab, as a visitor and as an administrator -------------------------------------------

def _dictionary_texts(programme: programmes.Programme) -> set[str]:
    """The data dictionary's English reference texts (the definition's keys and checks, the recipe format): English
    documentation kept with the schema, not interface messages — left out of the Data page's walk, as a programme's
    own texts are. The tables' and columns' descriptions, their rules, the checks across tables, the programme's
    summary and every table's headings are in the page's language and walked."""
    from impact.model import dictionary, schema

    # the extract's own table and column names (a file format: the same in every language)
    out = set(schema.TABLE_NAMES) | {c for spec in schema.tables(programme) for c in spec.column_names}
    out |= {check.says for check in programmes.SEMANTIC_CHECKS} | {f"- {check.says}" for check in programmes.SEMANTIC_CHECKS}
    out |= {line.strip() for text in dictionary.recipe_markdown() for line in text.split("\n")}
    return {re.sub(r"\\(.)", r"\1", text) for text in out if text}

@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_the_data_page_in_another_language(data_store, picks, monkeypatch, language):
    """Every tab of the Data page — dictionary and recipes, versions, browse, import (sign-in, extract, spreadsheet,
    recipe, IATI), quarterly returns (queue, flags, workbooks, accounts, comments), reporting, public site, trail —
    shows no English interface message, for a visitor and for a signed-in administrator."""
    from impact.reporting import partners
    from tests.test_partners import ADMIN_PASSWORD, _serve, account, corrected

    words = i18n.translator(language)
    (first, period) = picks[0]
    partner = account(data_store, [first])
    partners.submit(store.open_store(data_store), partner, "ours.xlsx", corrected(data_store, first, period))
    _serve(data_store, monkeypatch)
    held = programmes.read(data_store / programmes.FILE)
    content = _content(held) | _dictionary_texts(held)
    at = make_app("pages/data.py", query={"lang": [language]})
    assert at.title[0].value == words.gettext("Data")
    tabs = [t.label for t in at.tabs]
    assert tabs == [words.gettext(name) for name in ("Data dictionary", "Versions", "Browse the data", "Import",
                                                     "Quarterly returns", "Reporting", "Public site", "Trail")]
    visitor = _without(_texts(at, headings=True), content)
    assert _english_left(visitor, language) == [], _english_left(visitor, language)
    assert words.gettext("Administrator password") in visitor

    at.text_input(key="admin_password").input(ADMIN_PASSWORD)
    next(b for b in at.button if b.label == words.gettext("Sign in")).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    admin = _without(_texts(at, headings=True), content | {partner.name})
    assert len(admin) > len(visitor) + 40  # the queue, the accounts, the imports, the site and the trail
    assert _english_left(admin, language) == [], _english_left(admin, language)
    for heading in ("Returns from partners", "Partner accounts", "Import a spreadsheet", "Import with recipe"):
        assert words.gettext(heading) in [h.value for h in at.header]
    assert words.gettext("Approve the chosen returns") in [b.label for b in at.button]

    at.session_state["data_tabs"] = words.gettext("Reporting")  # built when opened
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _english_left(_without(_texts(at, headings=True), content), language) == []
    tiles = metrics_shown(at)
    assert words.gettext("Reporting rate") in tiles and words.gettext("Returns due") in tiles
    heatmap = json.loads(next(c for c in at.get("plotly_chart") if c.key == "reporting_heatmap").proto.spec)
    assert words.gettext("Returns by project and quarter") in heatmap["layout"]["title"]["text"]


# ---- Plotly in the language: separators, months and quarters (on screen and in static exports) -----------------

def _milestone_rows():
    """A cumulative actual, its milestone path and an end target, quarter by quarter over three years."""
    import pandas as pd

    days = pd.date_range("2016-01-01", "2018-12-31", freq="QS")
    actual = [1_000 * (n + 1) for n in range(len(days))]
    return pd.DataFrame({"date": days, "trainees": actual, "expected": [v * 1.1 for v in actual],
                         "target": [None] * (len(days) - 1) + [15_000.0]})


def test_a_french_chart_has_french_separators_months_and_quarters():
    """The date axis's ticks are Babel's French months (Plotly.js in Streamlit and Kaleido has no French dictionary),
    the hovers name them too, the separators are French, and quarters read T3 2016."""
    import datetime as dt

    import pandas as pd
    from babel.dates import format_skeleton

    from impact.charts import figures

    rows = _milestone_rows()
    with i18n.using("fr"):
        fig = figures.milestones(rows, "date", "trainees", title="t")
        heat = figures.reporting_heatmap(pd.DataFrame({"project_id": ["P-1", "P-1"], "period": ["2016Q3", "2016Q4"],
                                                       "status": ["reported", "missing"]}))
    layout = fig.to_plotly_json()["layout"]
    assert layout["separators"] == ",\u202f" == i18n.translator("fr").plotly_separators
    ticks = [pd.Timestamp(v).date() for v in layout["xaxis"]["tickvals"]]
    assert layout["xaxis"]["ticktext"] == [format_skeleton("yMMM", d, locale="fr") for d in ticks]
    assert ticks[0] == dt.date(2016, 1, 1) and ticks[-1] <= dt.date(2018, 12, 31) and len(ticks) <= 9
    assert "janv. 2016" in layout["xaxis"]["ticktext"] and not any("Jan" in t for t in layout["xaxis"]["ticktext"])
    actual = fig.data[0]
    assert actual.customdata[2][0] == "juil. 2016" and actual.customdata[2][1] == "3\u202f000"  # the hover, in French
    assert fig.data[0].name == "Réalisé (cumulé)"
    assert list(heat.data[0].x) == ["T3 2016", "T4 2016"]  # Babel's French quarters
    assert list(heat.data[0].colorbar.ticktext) == ["rendu", "rendu en retard", "manquant", "pas encore dû"]
    english = figures.milestones(rows, "date", "trainees")
    assert "Jan 2016" in english.layout.xaxis.ticktext and english.layout.separators == ".,"


def test_a_french_project_page_shows_quarters_the_french_way(shipped_app, shipped):
    project_id = shipped.rows("select project_id from training group by 1 order by sum(trainees) desc limit 1")[0][0]
    at = make_app("pages/partnerships.py", query={"lang": ["fr"], "project": [project_id]})
    quarters = shipped.rows("select distinct year(period), quarter(period) from training where project_id = $p "
                            "order by 1, 2", {"p": project_id})
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                if "trimestre" in json.loads(c.proto.spec)["layout"]["title"]["text"])
    shown = [x for trace in spec["data"] for x in trace["x"]]
    assert {f"T{q} {y}" for y, q in quarters} <= set(shown) and not any("Q" in str(x) for x in shown)
    assert spec["layout"]["separators"] == ",\u202f"


def test_a_static_export_in_french_writes_french_months():
    """Kaleido draws the same figure: the SVG's tick labels are the French months and its numbers French."""
    from impact.charts import export, figures

    with i18n.using("fr"):
        svg = export.render(figures.milestones(_milestone_rows(), "date", "trainees"), "svg").decode("utf-8")
    assert "janv. 2016" in svg and "Jan 2016" not in svg
    assert "15 000" in svg or "15 000" in svg  # the end target's annotation, with the French group separator
