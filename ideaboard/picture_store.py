"""Where pictures' bytes live: files under the data dir (the embedded default) or an S3-compatible bucket.

`IDEABOARD_IMAGE_STORE=s3://bucket/prefix` picks the bucket (AWS S3, MinIO, Ceph, R2…; `IDEABOARD_S3_ENDPOINT_URL`
for anything but AWS); credentials come from the environment as boto3 reads them (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, or an instance role), never from our settings. The app still serves every picture itself,
so the access rules and the safety headers of ideaboard/views/images.py hold whatever the store.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from ideaboard.i18n import gettext as _
from ideaboard.settings import Settings


class StoreDown(RuntimeError):
    """The store did not take or give the bytes (the bucket is unreachable or refused us)."""


class PictureStore(Protocol):
    async def put(self, name: str, data: bytes, content_type: str) -> None: ...

    async def get(self, name: str) -> bytes | None: ...


class FolderStore:
    """`<data_dir>/images/<name>`: one machine, or a folder every web host shares."""

    def __init__(self, data_dir: str) -> None:
        self.folder = Path(data_dir) / "images"

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(data)

    async def get(self, name: str) -> bytes | None:
        path = self.folder / name
        return path.read_bytes() if path.is_file() else None


class BucketStore:
    """An S3-compatible bucket, through boto3 in a thread (its client is blocking)."""

    def __init__(self, url: str, endpoint_url: str = "", region: str = "") -> None:
        import boto3
        from botocore.config import Config

        parts = urlsplit(url)
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        config = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None,
                                        config=config)

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    async def put(self, name: str, data: bytes, content_type: str) -> None:
        try:
            await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=self._key(name), Body=data,
                                    ContentType=content_type)
        except Exception as exc:  # botocore's errors (network, credentials, refusals) all mean "not stored"
            raise StoreDown(_("The picture store did not take the file (%(why)s).", why=type(exc).__name__)) from exc

    async def get(self, name: str) -> bytes | None:
        try:
            reply = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=self._key(name))
            return await asyncio.to_thread(reply["Body"].read)
        except self.client.exceptions.NoSuchKey:
            return None
        except Exception as exc:
            raise StoreDown(_("The picture store did not answer (%(why)s).", why=type(exc).__name__)) from exc


def for_settings(settings: Settings) -> PictureStore:
    """The configured store (one client per process and configuration)."""
    if settings.image_store:
        return _bucket(settings.image_store, settings.s3_endpoint_url, settings.s3_region)
    return FolderStore(settings.data_dir)


@functools.cache
def _bucket(url: str, endpoint_url: str, region: str) -> BucketStore:
    return BucketStore(url, endpoint_url, region)
