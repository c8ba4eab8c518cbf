#!/usr/bin/env python3
"""Upload a folder into an object store imitation on 127.0.0.1.

Usage: seed_bucket.py ENDPOINT BUCKET TREE            (S3: moto)
       seed_bucket.py --azure ENDPOINT CONTAINER TREE (Azure Blob: azurite)

Every file of TREE becomes an object whose key is its path relative to TREE,
`/`-separated: the tree's folders become key prefixes.

S3: creates BUCKET (path style, http://ENDPOINT/BUCKET) and PUTs each file,
public-read, as a public data set is. moto accepts unsigned requests, so plain
HTTP is enough (standard library only).

Azure: ENDPOINT is azurite's blob endpoint (http://127.0.0.1:PORT/devstoreaccount1);
creates CONTAINER with public read access (anonymous listing and reads, as
for a public data set) and uploads each file as a block blob. Needs the
azure-storage-blob package (SharedKey with azurite's well-known dev key); run
it with the python of the cache folder's venv (install-interop-servers.sh moto).
"""
import os
import sys
import urllib.parse
import urllib.request

# Azurite's documented development account and key (not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
               "KBHBeksoGMGw==")


def files(tree):
    for folder, _dirs, names in os.walk(tree):
        for name in names:
            path = os.path.join(folder, name)
            yield os.path.relpath(path, tree).replace(os.sep, "/"), path


def put(url: str, data: bytes) -> None:
    request = urllib.request.Request(url, data=data, method="PUT")
    request.add_header("Content-Type", "application/octet-stream")
    # Readable without signing, as a public data set is.
    request.add_header("x-amz-acl", "public-read")
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def seed_s3(endpoint: str, bucket: str, tree: str) -> int:
    base = endpoint.rstrip("/") + "/" + urllib.parse.quote(bucket)
    put(base, b"")
    count = 0
    for key, path in files(tree):
        with open(path, "rb") as f:
            put(base + "/" + urllib.parse.quote(key, safe="/"), f.read())
        count += 1
    print(f"seed_bucket: {count} objects in {base}/", file=sys.stderr)
    return 0


def seed_azure(endpoint: str, container: str, tree: str) -> int:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient(
        account_url=endpoint.rstrip("/"),
        credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY},
    )
    client = service.create_container(container, public_access="container")
    count = 0
    for key, path in files(tree):
        with open(path, "rb") as f:
            client.upload_blob(key, f.read(), overwrite=True)
        count += 1
    print(f"seed_bucket: {count} blobs in {endpoint}/{container}", file=sys.stderr)
    return 0


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--azure"]:
        return seed_azure(*args[1:4])
    return seed_s3(*args[0:3])


if __name__ == "__main__":
    sys.exit(main())
