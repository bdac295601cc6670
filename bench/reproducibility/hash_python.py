"""The same folder hashed as dvc-data 3.x does (md5 per file, md5 of the sorted JSON listing + ".dir"), for timing
and for checking that C# and Python agree. Usage: hash_python.py <folder> <reps>; prints JSON like Program.cs."""
import hashlib, json, os, sys, time

def dir_hash(root):
    entries = []
    for base, _, files in os.walk(root):
        for name in files:
            path = os.path.join(base, name)
            h = hashlib.md5()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            entries.append({"md5": h.hexdigest(), "relpath": os.path.relpath(path, root).replace(os.sep, "/")})
    entries.sort(key=lambda e: e["relpath"])
    return hashlib.md5(json.dumps(entries, sort_keys=True).encode()).hexdigest() + ".dir"

root, reps = sys.argv[1], int(sys.argv[2])
result = dir_hash(root)
times = []
for _ in range(reps):
    t = time.perf_counter()
    result = dir_hash(root)
    times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"mode": "hash (python)", "median_s": round(times[len(times) // 2], 4), "min_s": round(times[0], 4), "result": result}))
