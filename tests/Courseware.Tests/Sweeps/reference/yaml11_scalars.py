"""How PyYAML (YAML 1.1, what wandb uses to read sweep files) types the scalars SweepConfigReaderTests checks.

Run with /usr/bin/python3 (PyYAML 6.0); paste the output into SweepConfigReaderTests.cs.
"""
import yaml

scalars = ["1e-5", "1.0e-5", "1.0e5", "1.0e+5", "!!float 1e-5", "1", "1.0", "-3", "0x1F", "0o17", "017", "0b101",
           "yes", "No", "on", "OFF", "true", "~", "null", "'yes'", ".5", "1_000", ".inf", "-.inf", "3."]
for s in scalars:
    v = yaml.safe_load("x: " + s)["x"]
    print(f'[InlineData("{s}", "{type(v).__name__}", "{v!r}")]')
