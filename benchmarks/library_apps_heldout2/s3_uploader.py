"""An S3 uploader over aiobotocore (second held-out batch)."""
from __future__ import annotations

from aiobotocore.session import get_session


async def upload(bucket: str, key: str, body: bytes) -> None:
    session = get_session()
    async with session.create_client("s3", region_name="eu-west-1") as client:
        client.put_object(Bucket=bucket, Key=key, Body=body)  # expect: ACK100 async-with/statement
        await client.put_object(Bucket=bucket, Key=key + ".done", Body=b"")


async def listing(bucket: str) -> list[str]:
    session = get_session()
    async with session.create_client("s3") as client:
        response = await client.list_objects_v2(Bucket=bucket)
        client.delete_object(Bucket=bucket, Key="tmp")  # expect: ACK100 async-with/statement
        return [item["Key"] for item in response.get("Contents", [])]
