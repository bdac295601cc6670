namespace Courseware.Tests.Drift;

/// <summary>The 64-bit LCG samples of reference/make_reference.py, reproduced bit for bit.</summary>
internal static class Samples
{
    public static double[] Uniforms(ulong seed, int n)
    {
        var s = seed;
        var u = new double[n];
        for (int i = 0; i < n; i++)
        {
            s = unchecked(s * 6364136223846793005UL + 1442695040888963407UL);
            u[i] = (s >> 11) * (1.0 / (1UL << 53));
        }
        return u;
    }

    /// <summary>kind: "normal" (Irwin–Hall of 4, centred), "uniform" or "int10" (floor of 10u: heavy ties).</summary>
    public static double[] Draw(ulong seed, int n, string kind, double shift = 0, double scale = 1)
    {
        double[] x;
        switch (kind)
        {
            case "normal":
                var u = Uniforms(seed, 4 * n);
                x = new double[n];
                for (int i = 0; i < n; i++) x[i] = u[4 * i] + u[4 * i + 1] + u[4 * i + 2] + u[4 * i + 3] - 2.0;
                break;
            case "uniform": x = Uniforms(seed, n); break;
            case "int10": x = Uniforms(seed, n).Select(v => Math.Floor(v * 10.0)).ToArray(); break;
            default: throw new ArgumentException(kind);
        }
        return x.Select(v => v * scale + shift).ToArray();
    }

    /// <summary>The reference/current pairs named in make_reference.py's CASES.</summary>
    public static (double[] Reference, double[] Current) Case(string name) => name switch
    {
        "exact_equal_n" => (Draw(1, 20, "normal"), Draw(2, 20, "normal", 0.5)),
        "exact_unequal_n" => (Draw(3, 30, "normal"), Draw(4, 45, "normal", 0.3)),
        "exact_ties" => (Draw(5, 200, "int10"), Draw(6, 150, "int10", 1.0)),
        "exact_medium" => (Draw(7, 3000, "normal"), Draw(8, 2500, "normal", 0.05, 1.1)),
        "asymp_mid" => (Draw(9, 20000, "normal"), Draw(10, 15000, "normal", 0.01)),
        "asymp_smirnov" => (Draw(11, 20000, "normal"), Draw(12, 15000, "normal", 0.1)),
        "asymp_pelzgood" => (Draw(13, 150000, "normal"), Draw(14, 120000, "normal", 0.004)),
        "asymp_small_en" => (Draw(15, 12000, "uniform"), Draw(16, 60, "uniform", 0.1)),
        "mwu_exact" => (Draw(17, 6, "uniform"), Draw(18, 9, "uniform", 0.2)),
        _ => throw new ArgumentException(name),
    };
}
