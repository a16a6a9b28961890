"""E-mails in the recipient's language: each partner account has a language (the `accounts` command's --lang, the
partner's own choice on My projects), and its reminders and sent-back notices are written in it; the team's
addresses read the digest and the arrival notices in the language `[smtp.languages]` gives them (English by
default). Received by the local SMTP server the tests start, or written as .eml files; dates and numbers checked in
the recipient's locale, written out here rather than asked of the code."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from impact import cli
from impact.model import calendar
from impact.reporting import partners
from impact.storage import store
from tests import test_mail
from tests.conftest import make_app
from tests.test_mail import AHEAD, DUE_ON, QUARTER, TEAM, _html, _sql, _text, independent_missing, write_secrets
from tests.test_partners import PARTNER_PASSWORD, _partner_signs_in, _serve, account
from tests.test_returns import original_return

chased, inbox, away_from_secrets = test_mail.chased, test_mail.inbox, test_mail.away_from_secrets  # the fixtures

# DUE_ON is 30 April 2016: the quarter Jan-Mar 2016 ends on 31 March, its return is due 30 days later.
FRENCH_DUE = "30 avril 2016"
PORTUGUESE_DUE = "30 de abril de 2016"


def _accounts(root, running):
    """Ana reads French, Bruno English (no language given), Carla Portuguese: each created by the command."""
    for email_, projects, lang in (("ana@example.org", running[0:2], "fr"), ("bruno@example.org", running[2:4], None),
                                   ("carla@example.org", running[2:3], "pt")):
        args = ["accounts", "create", email_, "--no-password", "--data-dir", str(root)]
        args += ["--name", email_.split("@")[0].capitalize()] if email_ != "bruno@example.org" else []
        args += [a for p in projects for a in ("--project", p)] + (["--lang", lang] if lang else [])
        assert cli.main(args) == 0


def test_an_account_keeps_its_language_from_the_command_line(data_store, picks, capsys):
    project = picks[0][0]
    root = str(data_store)
    assert cli.main(["accounts", "create", "ana@example.org", "--project", project, "--no-password", "--lang", "fr",
                     "--data-dir", root]) == 0
    assert "e-mails in fr" in capsys.readouterr().out
    stored = json.loads((data_store / partners.ACCOUNTS).read_text(encoding="utf-8"))["accounts"]
    assert [(a["email"], a["language"]) for a in stored] == [("ana@example.org", "fr")]
    assert cli.main(["accounts", "projects", "ana@example.org", "--lang", "pt", "--data-dir", root]) == 0
    found = partners.account(store.open_store(data_store), "ana@example.org")
    assert (found.language, found.projects) == ("pt", (project,))  # the language changed, the projects kept
    assert cli.main(["accounts", "projects", "ana@example.org", "--add", picks[1][0], "--data-dir", root]) == 0
    assert partners.account(store.open_store(data_store), "ana@example.org").language == "pt"  # kept
    assert cli.main(["accounts", "list", "--data-dir", root]) == 0
    assert " pt " in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        cli.main(["accounts", "create", "bob@example.org", "--project", project, "--no-password", "--lang", "de",
                  "--data-dir", root])
    assert refused.value.code == 2
    with pytest.raises(partners.PartnerError, match="'de' is not a language"):
        partners.save_account(store.open_store(data_store), "bob@example.org", "", [project], [project], "admin",
                              language="de")


def test_an_account_stored_before_languages_reads_english(data_store, picks):
    held = store.open_store(data_store)
    account(data_store, [picks[0][0]])
    raw = json.loads((data_store / partners.ACCOUNTS).read_text(encoding="utf-8"))
    for item in raw["accounts"]:
        item.pop("language")
    (data_store / partners.ACCOUNTS).write_text(json.dumps(raw), encoding="utf-8")
    assert [a.language for a in partners.accounts(held)] == ["en"]


def test_each_partner_is_reminded_in_its_own_language(chased, inbox, tmp_path, away_from_secrets, capsys):
    root, running, gone = chased
    assert independent_missing(root, QUARTER) == set(gone)
    _accounts(root, running)
    secrets = write_secrets(tmp_path, inbox.port)
    day = DUE_ON - dt.timedelta(days=AHEAD)
    assert cli.main(["remind", "--send", "--data-dir", str(root), "--as-of", day.isoformat(),
                     "--secrets", str(secrets)]) == 0, capsys.readouterr().err
    name = store.open_store(root).definition().translations["fr"].name
    (french,) = inbox.to("ana@example.org")
    assert french["Subject"] == f"{name} : rapport trimestriel à rendre le {FRENCH_DUE}"
    assert french["Content-Language"] == "fr" and '<html lang="fr">' in _html(french)
    text = _text(french)
    assert text.startswith("Bonjour Ana,") and "À rendre bientôt" in text
    for project in running[0:2]:
        assert f"{project} (" in text and f"{calendar.quarter_label(QUARTER)} : à rendre le {FRENCH_DUE}, dans 7 jours." in text
    assert "due on" not in text and "Dear" not in text
    (english,) = inbox.to("bruno@example.org")
    assert english["Subject"].endswith(f"quarterly return due on {DUE_ON:%d %B %Y}")
    assert english["Content-Language"] == "en" and _text(english).startswith("Dear bruno@example.org,")
    assert f"{running[2]} (" in _text(english) and running[3] not in _text(english)  # running[3] reported
    (portuguese,) = inbox.to("carla@example.org")
    assert f"a entregar em {PORTUGUESE_DUE}" in portuguese["Subject"]
    assert f"a entregar em {PORTUGUESE_DUE}, daqui a 7 dias." in _text(portuguese)


def test_remind_out_writes_each_message_in_its_recipients_language(chased, inbox, tmp_path, away_from_secrets):
    root, running, _ = chased
    _accounts(root, running)
    out = tmp_path / "eml"
    day = DUE_ON + dt.timedelta(days=8)
    assert cli.main(["remind", "--out", str(out), "--data-dir", str(root), "--as-of", day.isoformat()]) == 0
    parsed = {m["To"]: m for m in (email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
                                   for f in sorted(out.glob("*.eml")))}
    assert parsed["ana@example.org"]["Subject"].endswith("rapport trimestriel en retard")
    assert "il y a 8 jours." in _text(parsed["ana@example.org"])
    assert "En retard : pas encore reçu" in _text(parsed["ana@example.org"])
    assert parsed["bruno@example.org"]["Subject"].endswith("quarterly return late")
    assert "8 days ago." in _text(parsed["bruno@example.org"])
    assert inbox.received == []


def test_a_french_partner_hears_of_a_return_sent_back_in_french_and_an_english_one_in_english(chased, inbox,
                                                                                              away_from_secrets):
    root, running, _ = chased
    _accounts(root, running)
    write_secrets(away_from_secrets, inbox.port)  # the secrets the app reads
    carla = partners.account(store.open_store(root), "carla@example.org")
    sent = partners.submit(store.open_store(root), carla, "r.xlsx", original_return(root, running[2], QUARTER))
    assert sent.ok, sent.report.to_text()
    note = "Ligne 12 : <b>40</b> infirmiers ?"
    partners.send_back(store.open_store(root), sent.submission.id, note, "team@example.org")
    (portuguese,) = inbox.to("carla@example.org")
    assert portuguese["Subject"].endswith(f"o seu relatório para {running[2]}, {calendar.quarter_label(QUARTER)}, "
                                          "foi devolvido")
    assert "A nota da equipa" in _text(portuguese) and note in _text(portuguese)
    assert "&lt;b&gt;40&lt;/b&gt;" in _html(portuguese)
    (english,) = inbox.to("bruno@example.org")  # Bruno reports for the same project, in English
    assert english["Subject"].endswith("was sent back") and "The team's note" in _text(english)
    (arrival,) = inbox.to(TEAM)  # the team (no language set): English
    assert "return received from" in arrival["Subject"]


def _secrets_with_languages(folder, port, languages: dict[str, str]):
    path = write_secrets(folder, port, team=tuple(languages))
    table = "".join(f'"{k}" = "{v}"\n' for k, v in languages.items())
    path.write_text(path.read_text(encoding="utf-8") + "\n[smtp.languages]\n" + table, encoding="utf-8")
    return path


def test_the_digest_reaches_each_team_member_in_their_language_with_figures_in_its_locale(chased, inbox, tmp_path,
                                                                                          away_from_secrets):
    root, running, gone = chased
    secrets = _secrets_with_languages(tmp_path, inbox.port, {"equipe@example.org": "fr", TEAM: "en"})
    day = DUE_ON + dt.timedelta(days=1)
    assert cli.main(["digest", "--send", "--data-dir", str(root), "--as-of", day.isoformat(),
                     "--secrets", str(secrets)]) == 0
    trainees = _sql(root).execute("select sum(trainees) from training").fetchone()[0]
    (french,) = inbox.to("equipe@example.org")
    assert french["To"] == "equipe@example.org" and french["Content-Language"] == "fr"
    assert french["Subject"].endswith("synthèse du 1 mai 2016")
    text = _text(french)
    assert f"Agents de santé formés | {trainees:,}".replace(",", "\u202f") in text
    label = calendar.quarter_label(QUARTER)
    assert f"Rapports de {label} (à rendre le {FRENCH_DUE})" in text
    due = len(running)
    assert f"{due - len(gone)} sur {due} dus reçus (0 en retard), {len(gone)} manquants." in text
    assert all(project in text for project in gone)
    (english,) = inbox.to(TEAM)
    assert english["To"] == TEAM and f"Health workers trained | {trainees:,}" in _text(english)
    assert english["Subject"].endswith(f"digest for {day:%d %B %Y}")


def test_digest_out_in_a_language_asked(chased, tmp_path, away_from_secrets):
    root, _, _ = chased
    out = tmp_path / "digest"
    assert cli.main(["digest", "--out", str(out), "--data-dir", str(root), "--lang", "pt",
                     "--as-of", (DUE_ON + dt.timedelta(days=1)).isoformat()]) == 0
    (path,) = out.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"].endswith("resumo de 1 de maio de 2016") and "Números principais" in _text(message)


def test_unusable_languages_in_the_settings_are_named(tmp_path, away_from_secrets):
    from impact.reporting import mail

    path = _secrets_with_languages(tmp_path, 25, {"equipe@example.org": "de"})
    with pytest.raises(mail.MailError, match=r"\[smtp\] languages.equipe@example.org: 'de' is not a language"):
        mail.load_settings(path)


def test_a_partner_chooses_the_language_of_their_e_mails_on_my_projects(data_store, picks, monkeypatch):
    project = picks[0][0]
    partner = account(data_store, [project])
    assert partner.language == "en"
    _serve(data_store, monkeypatch)
    at = make_app("pages/my_projects.py")
    _partner_signs_in(at, partner.email, PARTNER_PASSWORD)
    assert at.selectbox(key="my_email_language").label == "Language of your e-mails"
    at.selectbox(key="language_choice").select("fr").run()  # the page in French: the box too
    box = at.selectbox(key="my_email_language")
    assert box.label == "Langue de vos e-mails" and box.value == "en"  # the account's language is its own choice
    assert partners.account(store.open_store(data_store), partner.email).language == "en"
    box.select("fr").run()
    assert not at.exception, [e.value for e in at.exception]
    assert partners.account(store.open_store(data_store), partner.email).language == "fr"
    st.cache_data.clear()
    st.cache_resource.clear()


def _workbook_in_session(project: str, quarter: str, email: str, language: str) -> None:
    """A session in `language`, signed in as `email`, asks the server for `project`'s workbook."""
    import datetime as dt
    import io

    import openpyxl
    import streamlit as st

    from impact.app import auth, returns_view
    from impact.app import language as languages
    from impact.reporting import partners
    from impact.storage import store

    st.query_params["lang"] = language
    languages.begin()  # as app.py does first: the link's language is the session's
    held = store.open_store()
    auth.start_partner_session(held, partners.account(held, email))
    book = openpyxl.load_workbook(io.BytesIO(returns_view.workbook_for(project, dt.date.fromisoformat(quarter))))
    st.write(" | ".join(book.sheetnames))


def test_the_page_gives_the_workbook_in_the_sessions_language(data_store, picks, monkeypatch):
    project, period = picks[0]
    partner = account(data_store, [project])
    _serve(data_store, monkeypatch)
    shown = {}
    for language in ("fr", "en"):
        at = AppTest.from_function(_workbook_in_session, args=(project, period.isoformat(), partner.email, language),
                                   default_timeout=60).run()
        assert not at.exception, [e.value for e in at.exception]
        shown[language] = at.markdown[0].value
    assert shown["fr"] == "Instructions | Lists | Formation | Volontariat | Résultats | Déclaré auparavant | _return"
    assert shown["en"] == "Instructions | Lists | training | volunteering | outcomes | Reported before | _return"
    st.cache_data.clear()
    st.cache_resource.clear()


def _signs_in_in(at: AppTest, email: str, language: str) -> None:
    """A partner signs in on My projects, the page in `language`."""
    from impact.model import i18n

    at.text_input(key="partner_email").input(email)
    at.text_input(key="partner_password").input(PARTNER_PASSWORD)
    next(b for b in at.button if b.label == i18n.translator(language).gettext("Sign in")).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_a_new_partner_is_written_to_in_the_language_they_sign_in_in(data_store, picks, monkeypatch):
    """No language chosen (the team's form, or the command without --lang): the partner who signs in in Portuguese
    gets Portuguese e-mails; recorded in the trail with the sign-in and the projects it is for."""
    project = picks[0][0]
    partner = account(data_store, [project])
    raw = json.loads((data_store / partners.ACCOUNTS).read_text(encoding="utf-8"))["accounts"]
    assert [(a["language"], a["language_chosen"]) for a in raw] == [("en", False)]
    _serve(data_store, monkeypatch)
    at = make_app("pages/my_projects.py", {"lang": "pt"})
    _signs_in_in(at, partner.email, "pt")
    assert at.selectbox(key="my_email_language").value == "pt"  # My projects says so
    raw = json.loads((data_store / partners.ACCOUNTS).read_text(encoding="utf-8"))["accounts"]
    assert [(a["language"], a["language_chosen"]) for a in raw] == [("pt", False)]
    trail = [json.loads(line) for line in (data_store / "audit" / "trail.jsonl").read_text(encoding="utf-8")
             .splitlines()]
    assert [(e["action"], e["who"], e["details"]) for e in trail[-2:]] == [
        ("sign-in", partner.email, {"projects": [project]}),
        ("account-saved", partner.email, {"change": "language of its e-mails", "language": "pt",
                                          "reason": "signed in in this language, none chosen"})]
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_language_chosen_for_the_e_mails_is_kept_whatever_the_sign_in_s(data_store, picks):
    project = picks[0][0]
    held = store.open_store(data_store)
    account(data_store, [project])
    partners.set_language(held, "nurse.lead@example.org", "en", "nurse.lead@example.org")  # chosen on My projects
    assert partners.sign_in_language(held, "nurse.lead@example.org", "pt").language == "en"
    partners.save_account(held, "chef@example.org", "", [project], [project], "admin", language="fr")  # the team's
    assert partners.sign_in_language(held, "chef@example.org", "pt").language == "fr"
    assert partners.sign_in_language(held, "nobody@example.org", "pt") is None
    assert [(a.email, a.language, a.language_chosen) for a in partners.accounts(held)] == [
        ("chef@example.org", "fr", True), ("nurse.lead@example.org", "en", True)]
    trail = (data_store / "audit" / "trail.jsonl").read_text(encoding="utf-8")
    assert "none chosen" not in trail


def test_accounts_stored_before_the_choice_was_kept_read_as_chosen_unless_english(data_store, picks, capsys):
    project = picks[0][0]
    held = store.open_store(data_store)
    root = str(data_store)
    assert cli.main(["accounts", "create", "ana@example.org", "--project", project, "--no-password", "--lang", "fr",
                     "--data-dir", root]) == 0
    assert cli.main(["accounts", "create", "bruno@example.org", "--project", project, "--no-password",
                     "--data-dir", root]) == 0  # no --lang: English until Bruno signs in in another language
    assert [(a.language, a.language_chosen) for a in partners.accounts(held)] == [("fr", True), ("en", False)]
    raw = json.loads((data_store / partners.ACCOUNTS).read_text(encoding="utf-8"))
    for item in raw["accounts"]:
        item.pop("language_chosen")
    (data_store / partners.ACCOUNTS).write_text(json.dumps(raw), encoding="utf-8")
    assert [(a.language, a.language_chosen) for a in partners.accounts(held)] == [("fr", True), ("en", False)]
    assert partners.sign_in_language(held, "bruno@example.org", "es").language == "es"
    assert partners.sign_in_language(held, "ana@example.org", "es").language == "fr"
