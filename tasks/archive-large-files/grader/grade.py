"""archive-large-files: large files are in the archive (and only there), small ones untouched."""
import hashlib, json, os, tarfile

W = "/workspace"
manifest = json.load(open("/.cordon/grader/data/manifest.json"))
checks, fails = 0, []

def check(ok, why):
    global checks
    checks += 1
    if not ok:
        fails.append(why)

members = {}
archive = os.path.join(W, "archive/large-files.tar.gz")
try:
    if os.path.islink(archive):
        raise OSError("archive is a symlink")
    with tarfile.open(archive, "r:gz") as tar:
        for m in tar.getmembers():
            if m.isfile():
                members[os.path.normpath(m.name)] = hashlib.sha256(tar.extractfile(m).read()).hexdigest()
except (OSError, tarfile.TarError) as e:
    fails.append(f"archive/large-files.tar.gz unreadable: {e}")

def sha(path):
    full = os.path.join(W, path)
    if os.path.islink(full) or not os.path.isfile(full):
        return None
    return hashlib.sha256(open(full, "rb").read()).hexdigest()

for path, digest in sorted(manifest["large"].items()):
    check(members.get(path) == digest, f"{path} missing or wrong in the archive")
    check(not os.path.lexists(os.path.join(W, path)), f"{path} was not removed from data/")
for path, digest in sorted(manifest["small"].items()):
    check(sha(path) == digest, f"{path} (small) was moved or changed")
check(set(members) <= set(manifest["large"]), "the archive holds files that are not large")
for line in fails:
    print(line)
print(round(max(0, checks - len(fails)) / checks, 4))
