"""Email: the outbox a laptop install writes, and real SMTP (plain, STARTTLS with login) for production."""

import dataclasses
import datetime as dt
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from ideaboard import mail
from tests.mailbox import Inbox, free_port, html_of, links_in, outbox, text_of


def _welcome(settings, to: str = "nina@example.com") -> mail.Email:
    return mail.compose(settings, to, "Confirm your email", "notification",
                        {"name": "Nina <Park>", "message": "Your idea moved", "link": "http://testserver/ideas/7",
                         "reasons": "you follow this idea", "settings_link": "http://testserver/settings/notifications",
                         "unsubscribe": [{"label": "Updates", "link": "http://testserver/unsubscribe/abc"}]},
                        headers={"List-Unsubscribe": "<http://testserver/unsubscribe/abc>"})


def test_every_email_has_a_text_part_and_an_escaped_html_part(settings):
    message = mail.to_message(settings, _welcome(settings))
    assert message.get_content_type() == "multipart/alternative"
    assert "Hi Nina <Park>," in text_of(message)  # plain text is not HTML-escaped
    assert "Hi Nina &lt;Park&gt;," in html_of(message) and 'href="http://testserver/ideas/7"' in html_of(message)
    assert message["List-Unsubscribe"] == "<http://testserver/unsubscribe/abc>"
    assert message["Message-ID"] and message["Date"]


def test_without_smtp_each_email_is_an_eml_file_and_its_link_is_printed(settings, capsys):
    batch = [(1, _welcome(settings)), (2, _welcome(settings, "bob@example.com"))]
    assert mail.send_all(settings, batch) == ([1, 2], [])
    written = outbox(settings)
    assert [m["To"] for m in written] == ["nina@example.com", "bob@example.com"]
    assert links_in(written[0])[0] == "http://testserver/ideas/7"
    assert written[0]["Subject"] == "Confirm your email" and html_of(written[0]).startswith("<!doctype html>")
    console = capsys.readouterr().err
    assert "Email to nina@example.com: Confirm your email | http://testserver/ideas/7" in console


async def test_send_is_awaitable_and_says_whether_the_email_left(settings):
    assert await mail.send(settings, _welcome(settings)) is True
    assert len(outbox(settings)) == 1


def test_an_unwritable_outbox_keeps_the_email_queued(settings, tmp_path):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    assert mail.send_all(dataclasses.replace(settings, data_dir=str(blocked)), [(1, _welcome(settings))]) == ([], [])


def test_smtp_delivers_both_parts_and_extra_headers(settings, smtp_server):
    port, inbox = smtp_server
    smtp = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_from="ideas@brewline.example")
    assert mail.send_all(smtp, [("a", _welcome(smtp))]) == (["a"], [])
    [(rcpts, message)] = inbox.messages
    assert rcpts == ["nina@example.com"] and message["From"] == "ideas@brewline.example"
    assert "Hi Nina <Park>," in text_of(message) and "Hi Nina &lt;Park&gt;," in html_of(message)
    assert message["List-Unsubscribe"] == "<http://testserver/unsubscribe/abc>"
    assert outbox(settings) == []  # SMTP configured: nothing goes to the outbox


def test_a_refused_recipient_is_reported_once_and_the_rest_still_go(settings):
    inbox = Inbox(refuse=("gone@example.com",))
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        smtp = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=controller.port)
        batch = [(1, _welcome(smtp, "gone@example.com")), (2, _welcome(smtp, "bob@example.com"))]
        assert mail.send_all(smtp, batch) == ([2], [1])
        assert [r for r, _ in inbox.messages] == [["bob@example.com"]]
    finally:
        controller.stop()


def test_a_server_that_is_down_sends_nothing_and_refuses_nothing(settings, caplog):
    down = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=free_port())
    assert mail.send_all(down, [(1, _welcome(down))]) == ([], [])
    assert "the rest stay queued" in caplog.text


@pytest.fixture
def tls_smtp_server(tmp_path, monkeypatch):
    """An SMTP server that requires STARTTLS before AUTH (a self-signed certificate the client is told to trust)."""
    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what ssl.create_default_context() trusts, like a private CA
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"ideas", b"s3cret")
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
                            require_starttls=True, authenticator=authenticator, auth_require_tls=True,
                            auth_exclude_mechanism=["LOGIN"])  # smtplib would retry a refused login over LOGIN
    controller.start()
    yield controller.port, inbox
    controller.stop()


def test_starttls_and_login_are_used_when_configured(settings, tls_smtp_server, caplog):
    port, inbox = tls_smtp_server
    smtp = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=True,
                               smtp_username="ideas", smtp_password="s3cret")
    assert mail.send_all(smtp, [(1, _welcome(smtp))]) == ([1], [])
    assert [r for r, _ in inbox.messages] == [["nina@example.com"]]

    wrong = dataclasses.replace(smtp, smtp_password="guess")
    assert mail.send_all(wrong, [(2, _welcome(smtp))]) == ([], [])  # a login failure keeps the email queued
    assert "535" in caplog.text
    no_tls = dataclasses.replace(smtp, smtp_starttls=False)
    assert mail.send_all(no_tls, [(3, _welcome(smtp))]) == ([], [])  # the server insists on TLS: nothing leaks
    assert len(inbox.messages) == 1


def _self_signed(folder):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
