"""Reference hashes for DataManifestTests, computed the way dvc-data 3.x does it:
file hash = md5 of the raw bytes (hash name "md5"; DVC 2's "md5-dos2unix" is not used);
folder hash = md5(json.dumps(sorted([{"md5": m, "relpath": p}], key=relpath), sort_keys=True).encode()) + ".dir"
(dvc_data/hashfile/tree.py: Tree.as_list, Tree.as_bytes, Tree.digest). Run: /usr/bin/python3 dvc_hash.py"""
import hashlib, json

FILES = {
    "a.csv": b"x,y\n1,2\n",
    "sub/b.txt": b"hello\r\nworld\r\n",
    "donn\u00e9es/\u00e9.csv": "\u00e9\n".encode("utf-8"),
    "Z.txt": b"",
    "sub/c d.bin": bytes(range(256)),
}

entries = sorted(({"md5": hashlib.md5(c).hexdigest(), "relpath": p} for p, c in FILES.items()), key=lambda e: e["relpath"])
for e in entries:
    print(e["relpath"], e["md5"])
listing = json.dumps(entries, sort_keys=True)
print(listing)
print("dir", hashlib.md5(listing.encode("utf-8")).hexdigest() + ".dir")
