"""rotate-compress-logs: NAME.log empty, .1.gz holds the old current log, .2.gz the old .1.gz."""
import gzip, hashlib, json, os

W = "/workspace"
manifest = json.load(open("/.cordon/grader/data/manifest.json"))

def gz_sha(path):
    try:
        with gzip.open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except (OSError, EOFError):
        return None

checks, fails = 0, []
for item in manifest:
    log = os.path.join(W, item["log"])
    checks += 1
    if os.path.islink(log) or not os.path.isfile(log) or os.path.getsize(log) != 0:
        fails.append(f"{item['log']} is not an empty file")
    checks += 1
    if os.path.islink(log + ".1.gz") or gz_sha(log + ".1.gz") != item["current"]:
        fails.append(f"{item['log']}.1.gz does not hold the rotated log")
    if item["previous"]:
        checks += 1
        if os.path.islink(log + ".2.gz") or gz_sha(log + ".2.gz") != item["previous"]:
            fails.append(f"{item['log']}.2.gz does not hold the previous rotation")
for line in fails:
    print(line)
print(round((checks - len(fails)) / checks, 4))
