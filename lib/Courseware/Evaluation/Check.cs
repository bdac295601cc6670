namespace Courseware.Evaluation;

/// <summary>Argument checks shared by the metrics, so every bad input fails with the same clear wording.</summary>
internal static class Check
{
    public static void NotEmpty<T>(IReadOnlyCollection<T> values, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        if (values.Count == 0) throw new ArgumentException($"{name} is empty; at least one value is needed.", name);
    }

    public static void SameLength<TA, TB>(IReadOnlyCollection<TA> a, IReadOnlyCollection<TB> b, string nameA, string nameB)
    {
        NotEmpty(a, nameA);
        ArgumentNullException.ThrowIfNull(b, nameB);
        if (a.Count != b.Count)
            throw new ArgumentException($"{nameA} has {a.Count} values but {nameB} has {b.Count}; they must pair up one to one.", nameB);
    }

    public static void Finite(IReadOnlyList<double> values, string name)
    {
        for (int i = 0; i < values.Count; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] is {values[i]}; expected a finite number.", name);
    }

    public static void Probability(double p, string name, int index)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentException($"{name}[{index}] is {p}; expected a probability in [0, 1].", name);
    }
}
