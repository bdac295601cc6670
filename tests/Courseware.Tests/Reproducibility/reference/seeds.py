"""Reference values for SeedPlan.Derive: first 4 bytes of SHA-256, big-endian, top bit cleared.
Run with /usr/bin/python3 seeds.py; the printed values are pasted into SeedPlanTests."""
import hashlib

def derive(master: int, component: str) -> int:
    text = f"courseware.seed.v1\0{master}\0{component}".encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "big") & 0x7FFFFFFF

for master, component in [(42, "data_split"), (42, "shuffle"), (42, "init"), (42, "dropout"),
                          (42, "augmentation"), (0, "shuffle"), (-7, "init"), (2147483647, "données")]:
    print(master, repr(component), derive(master, component))
# SeedPlan.Vary(component, variant) derives from the name "<component>\0variant\0<variant>".
print("vary", derive(42, "shuffle\0variant\0" + "1"))

# SeedPlan.Seed(component, step): derived from the component's seed and the step.
def derive_step(component_seed: int, step: int) -> int:
    text = f"courseware.seed.v1/step\0{component_seed}\0{step}".encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "big") & 0x7FFFFFFF

print("step", derive_step(derive(42, "shuffle"), 0), derive_step(derive(42, "shuffle"), 3), derive_step(123, 3))
