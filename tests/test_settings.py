"""An operator's typo stops start-up with a message that names the variable and says what it accepts."""

import pytest

from ideaboard.settings import Settings, SettingsError
from tests.test_cli import run

BAD = [
    ("IDEABOARD_HTTPS_ONLY", "ture", "use true or false"),
    ("IDEABOARD_DEBUG", "maybe", "use true or false"),
    ("IDEABOARD_PAGE_SIZE", "twenty", "whole number from 1 to 200"),
    ("IDEABOARD_PAGE_SIZE", "0", "whole number from 1 to 200"),
    ("IDEABOARD_PAGE_SIZE", "²", "whole number from 1 to 200"),
    ("IDEABOARD_PAGE_CACHE_SECONDS", "-5", "whole number from 0 to 86,400"),
    ("IDEABOARD_LOGIN_ATTEMPTS_PER_MINUTE", "-1", "whole number from 1"),
    ("SMTP_PORT", "70000", "whole number from 1 to 65,535"),
    ("IDEABOARD_DIGEST_HOUR", "24", "whole number from 0 to 23"),
    ("IDEABOARD_BASE_URL", "ideas.example.com", "use a URL starting with http:// or https://"),
    ("IDEABOARD_BASE_URL", "https://", "no host name"),
    ("X_API_BASE_URL", "ftp://api.x.com", "http:// or https://"),
    ("DATABASE_URL", "mysql://db/ideas", "sqlite://"),
    ("DATABASE_URL", "postgres://db:port/ideas", "port is not a number"),
    ("REDIS_URL", "localhost:6379", "redis://"),
    ("IDEABOARD_EMPLOYEE_DOMAINS", "brewline.example,@oops", "domain names separated by commas"),
    ("X_BRAND_KEYWORDS", 'brewline,"coffee" OR tea', "words or short phrases"),
    ("X_BRAND_USER_ID", "@brewline", "numeric X user id"),
    ("X_MONTHLY_READ_BUDGET", "lots", "whole number from 0 to 1,000,000,000"),
    ("X_MAX_RULES", "0", "whole number from 1 to 1,000"),
]


@pytest.mark.parametrize(("name", "value", "accepts"), BAD)
def test_a_bad_setting_names_its_variable_and_what_it_accepts(tmp_path, name, value, accepts):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"IDEABOARD_DATA_DIR": str(tmp_path), name: value})
    [problem] = caught.value.problems
    assert problem.startswith(name) and accepts in problem


def test_every_bad_setting_is_reported_at_once(tmp_path):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"IDEABOARD_DATA_DIR": str(tmp_path), "IDEABOARD_HTTPS_ONLY": "ture",
                           "IDEABOARD_PAGE_SIZE": "twenty"})
    assert len(caught.value.problems) == 2


def test_good_settings_are_read_with_their_types(tmp_path):
    settings = Settings.from_env({"IDEABOARD_DATA_DIR": str(tmp_path), "IDEABOARD_HTTPS_ONLY": " Yes ",
                                  "IDEABOARD_DEBUG": "0", "IDEABOARD_PAGE_SIZE": "50", "SMTP_PORT": "587",
                                  "IDEABOARD_BASE_URL": "https://ideas.example.com",
                                  "DATABASE_URL": "postgres://app@db.internal:5432/ideas",
                                  "REDIS_URL": "redis://cache:6379/2",
                                  "IDEABOARD_EMPLOYEE_DOMAINS": "Brewline.example"})
    assert (settings.https_only, settings.debug, settings.page_size, settings.smtp_port) == (True, False, 50, 587)
    assert settings.employee_domains == ("brewline.example",)


def test_serve_prints_the_problem_without_a_traceback(tmp_path):
    result = run("serve", "--no-worker", data_dir=tmp_path, IDEABOARD_PAGE_SIZE="twenty", IDEABOARD_HTTPS_ONLY="ture")
    assert result.returncode == 2
    assert "IDEABOARD_PAGE_SIZE='twenty' is not valid: use a whole number from 1 to 200." in result.stderr
    assert "IDEABOARD_HTTPS_ONLY='ture' is not valid" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_refuses_bad_settings_the_same_way(tmp_path):
    result = run("migrate", data_dir=tmp_path, IDEABOARD_BASE_URL="ideas.example.com")
    assert result.returncode == 2 and "IDEABOARD_BASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_the_help_desk_needs_all_three_zendesk_settings_well_formed(tmp_path):
    with pytest.raises(SettingsError) as half:
        Settings.from_env({"ZENDESK_SUBDOMAIN": "brewline"})
    assert "ZENDESK_EMAIL, ZENDESK_API_TOKEN must be set too" in str(half.value)
    with pytest.raises(SettingsError) as bad:
        Settings.from_env({"ZENDESK_SUBDOMAIN": "brewline.zendesk.com", "ZENDESK_EMAIL": "desk",
                           "ZENDESK_API_TOKEN": "t"})
    assert {p.split("=")[0] for p in bad.value.problems} == {"ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL"}
    ok = Settings.from_env({"ZENDESK_SUBDOMAIN": "brewline", "ZENDESK_EMAIL": "desk@brewline.example",
                            "ZENDESK_API_TOKEN": "t", "IDEABOARD_DATA_DIR": str(tmp_path)})
    assert ok.zendesk_enabled and ok.zendesk_url == "https://brewline.zendesk.com"
    assert "zendesk_api_token" not in repr(ok)


def test_brand_listening_settings_are_read_as_brewline_writes_them(tmp_path):
    settings = Settings.from_env({"IDEABOARD_DATA_DIR": str(tmp_path), "X_BRAND_KEYWORDS": "Brewline, brew line",
                                  "X_BRAND_USER_ID": "2244994945", "X_MONTHLY_READ_BUDGET": "15000"})
    assert settings.x_brand_keywords == ("brewline", "brew line")
    assert (settings.x_brand_user_id, settings.x_monthly_read_budget, settings.x_max_rules) == ("2244994945", 15000, 5)


def test_an_operator_in_a_german_shell_is_told_in_german(tmp_path):
    result = run("serve", "--no-worker", data_dir=tmp_path, IDEABOARD_PAGE_SIZE="zwanzig", LC_ALL="", LC_MESSAGES="",
                 LANG="de_DE.UTF-8")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "ideaboard kann nicht starten: Bitte korrigieren Sie diese Einstellungen" in result.stderr
    assert "IDEABOARD_PAGE_SIZE='zwanzig' ist ungültig: verwenden Sie eine ganze Zahl von 1 bis 200." in result.stderr
    with pytest.raises(SettingsError) as caught:  # LC_ALL wins over LANG, as in any POSIX program
        Settings.from_env({"IDEABOARD_DATA_DIR": str(tmp_path), "LANG": "en_GB.UTF-8", "LC_ALL": "de_AT.UTF-8",
                           "SMTP_PORT": "70000", "IDEABOARD_BASE_URL": "ideas.example.com"})
    assert set(caught.value.problems) == {
        "SMTP_PORT='70000' ist ungültig: verwenden Sie eine ganze Zahl von 1 bis 65.535.",
        "IDEABOARD_BASE_URL='ideas.example.com' ist ungültig: verwenden Sie eine URL, die mit http:// oder https:// "
        "beginnt."}
    with pytest.raises(SettingsError) as english:  # C, or a language the site lacks: English
        Settings.from_env({"IDEABOARD_DATA_DIR": str(tmp_path), "LANG": "fr_FR.UTF-8", "SMTP_PORT": "70000"})
    assert english.value.problems == ["SMTP_PORT='70000' is not valid: use a whole number from 1 to 65,535."]
