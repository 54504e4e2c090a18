"""backup-with-checksums: the archive and SHA256SUMS match the pristine project, which is intact."""
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
archive = os.path.join(W, "backup/project.tar.gz")
try:
    if os.path.islink(archive):
        raise OSError("archive is a symlink")
    with tarfile.open(archive, "r:gz") as tar:
        for m in tar.getmembers():
            if m.isfile():
                members[os.path.normpath(m.name)] = hashlib.sha256(tar.extractfile(m).read()).hexdigest()
except (OSError, tarfile.TarError) as e:
    fails.append(f"backup/project.tar.gz unreadable: {e}")

sums = {}
sums_path = os.path.join(W, "backup/SHA256SUMS")
if os.path.isfile(sums_path) and not os.path.islink(sums_path):
    for line in open(sums_path, encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split(None, 1)
        if len(parts) == 2:
            sums[os.path.normpath(parts[1].lstrip("*"))] = parts[0].lower()

for path, digest in sorted(manifest.items()):
    check(members.get(path) == digest, f"{path} missing or wrong in the archive")
    check(sums.get(path) == digest, f"{path} missing or wrong in SHA256SUMS")
    full = os.path.join(W, path)
    ok = os.path.isfile(full) and not os.path.islink(full)
    check(ok and hashlib.sha256(open(full, "rb").read()).hexdigest() == digest, f"{path} was changed")
check(set(sums) == set(manifest), "SHA256SUMS lists files that are not in project/")
for line in fails:
    print(line)
print(round(max(0, checks - len(fails)) / checks, 4))
