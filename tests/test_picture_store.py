"""Pictures in an S3-compatible bucket (IDEABOARD_IMAGE_STORE=s3://…), against a real S3 server over HTTP (moto's
standalone server): uploads land in the bucket, the app still serves them with its own rules and headers, and a
bucket that stops answering never loses a customer's idea."""

from __future__ import annotations

from dataclasses import replace

import boto3
import httpx
import pytest
from bs4 import BeautifulSoup
from moto.server import ThreadedMotoServer

from ideaboard.models import Idea, Image
from ideaboard.settings import Settings, SettingsError
from ideaboard.urls import urls
from tests.mailbox import free_port
from tests.test_images import picture, upload, write_with_picture

BUCKET = "brewline-pictures"


@pytest.fixture
def s3(monkeypatch):
    """A real S3-compatible server on a free port; the credentials come from the environment, as in production."""
    for name, value in {"AWS_ACCESS_KEY_ID": "brewline", "AWS_SECRET_ACCESS_KEY": "not-a-secret",
                        "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    httpx.post(f"{endpoint}/moto-api/reset")  # moto keeps its buckets per Python process: start from none
    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    yield server, endpoint, client
    server.stop()


@pytest.fixture
def settings(settings, s3):
    return replace(settings, image_store=f"s3://{BUCKET}/board", s3_endpoint_url=s3[1], s3_region="eu-west-1")


async def test_alices_picture_lands_in_the_bucket_and_is_served_by_the_board(settings, s3, visitor, browser_for,
                                                                             alice, make_idea, tmp_path):
    _, _, bucket = s3
    idea = await make_idea(alice, "Latte art stencils")
    assert (await upload(await browser_for(alice), urls.idea_image(idea.id), "art.png", picture())).status_code == 303
    image = await Image.get(idea_id=idea.id)
    keys = sorted(o["Key"] for o in bucket.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == [f"board/{image.key}.png", f"board/{image.key}.thumb.png"]
    assert bucket.head_object(Bucket=BUCKET, Key=f"board/{image.key}.png")["ContentType"] == "image/png"
    assert not (tmp_path / "images").exists()  # nothing in the data dir
    page = BeautifulSoup((await visitor.get(urls.idea(idea.id))).text, "html.parser")
    served = await visitor.get(page.select_one("#idea-image img")["src"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.content == bucket.get_object(Bucket=BUCKET, Key=f"board/{image.key}.thumb.png")["Body"].read()


async def test_when_the_bucket_stops_answering_the_idea_is_still_posted_and_the_author_told(settings, s3, visitor,
                                                                                          browser_for, alice):
    server, _, _ = s3
    alices = await browser_for(alice)
    await write_with_picture(alices, "lid.png", picture(), title="Before the outage")
    shown = await Image.get(idea__title="Before the outage")
    server.stop()
    posted = await write_with_picture(alices, "lid.png", picture())
    assert posted.status_code == 303
    idea = await Idea.get(title="Reusable cup lids")  # the text is never lost to the store's outage
    assert idea.image_url is None and not await Image.filter(idea_id=idea.id).exists()
    page = await alices.get(posted.headers["location"])
    assert "its picture could not be stored just now" in page.text
    assert (await visitor.get(urls.image(shown.key))).status_code == 503


def test_a_store_that_is_not_an_s3_address_is_refused_at_start():
    with pytest.raises(SettingsError, match="IDEABOARD_IMAGE_STORE must look like s3://bucket"):
        Settings.from_env({"IDEABOARD_IMAGE_STORE": "https://pictures.example.com"})
    assert Settings.from_env({"IDEABOARD_IMAGE_STORE": "s3://pictures/board",
                              "IDEABOARD_DATA_DIR": "/tmp"}).image_store == "s3://pictures/board"
