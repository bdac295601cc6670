using Courseware.Notebooks;

namespace Courseware.Evaluation;

/// <summary>How per-class scores are combined into one number (the names and rules are scikit-learn's).</summary>
public enum Averaging
{
    /// <summary>Unweighted mean over the classes: every class counts the same, however rare.</summary>
    Macro,
    /// <summary>Pool true/false positives over all classes first; for single-label data this equals accuracy.</summary>
    Micro,
    /// <summary>Mean over the classes weighted by each class's support (its number of true items).</summary>
    Weighted,
}

/// <summary>
/// Classification metrics over paired true and predicted labels. Labels may be any type (int, string, enum);
/// the class set is the sorted union of the labels seen in <c>truth</c> and <c>predicted</c>, as scikit-learn does.
/// A ratio whose denominator is zero (precision of a class never predicted, recall of a class never true) is
/// <c>zeroDivision</c>: 0 by default (scikit-learn's "warn", without the warning), 1, or NaN, which the averages then
/// leave out (scikit-learn ≥ 1.3's <c>zero_division=np.nan</c>).
/// </summary>
/// <example><code>Classification.F1(truth, predicted, Averaging.Macro)</code></example>
public static class Classification
{
    /// <summary>Accuracy = (number of items with predicted == truth) / n.</summary>
    public static double Accuracy<T>(IReadOnlyList<T> truth, IReadOnlyList<T> predicted) where T : notnull
    {
        Check.SameLength(truth, predicted, nameof(truth), nameof(predicted));
        var cmp = EqualityComparer<T>.Default;
        int correct = 0;
        for (int i = 0; i < truth.Count; i++) if (cmp.Equals(truth[i], predicted[i])) correct++;
        return (double)correct / truth.Count;
    }

    /// <summary>Precision of one class = TP / (TP + FP): of the items predicted as <paramref name="positive"/>, the share that are.</summary>
    /// <param name="truth">True labels.</param>
    /// <param name="predicted">Predicted labels, paired with <paramref name="truth"/>.</param>
    /// <param name="positive">The class to score.</param>
    /// <param name="zeroDivision">The value when nothing is predicted as <paramref name="positive"/>: 0, 1 or NaN.</param>
    public static double Precision<T>(IReadOnlyList<T> truth, IReadOnlyList<T> predicted, T positive, double zeroDivision = 0) where T : notnull =>
        ConfusionMatrix.Create(truth, predicted).ForClass(positive, zeroDivision).Precision;

    /// <summary>Recall of one class = TP / (TP + FN): of the items that are <paramref name="positive"/>, the share found.</summary>
    /// <param name="truth">True labels.</param>
    /// <param name="predicted">Predicted labels, paired with <paramref name="truth"/>.</param>
    /// <param name="positive">The class to score.</param>
    /// <param name="zeroDivision">The value when no item is <paramref name="positive"/>: 0, 1 or NaN.</param>
    public static double Recall<T>(IReadOnlyList<T> truth, IReadOnlyList<T> predicted, T positive, double zeroDivision = 0) where T : notnull =>
        ConfusionMatrix.Create(truth, predicted).ForClass(positive, zeroDivision).Recall;

    /// <summary>F1 of one class = 2·TP / (2·TP + FP + FN), the harmonic mean of precision and recall.</summary>
    /// <param name="truth">True labels.</param>
    /// <param name="predicted">Predicted labels, paired with <paramref name="truth"/>.</param>
    /// <param name="positive">The class to score.</param>
    /// <param name="zeroDivision">The value when <paramref name="positive"/> is neither true nor predicted anywhere: 0, 1 or NaN.</param>
    public static double F1<T>(IReadOnlyList<T> truth, IReadOnlyList<T> predicted, T positive, double zeroDivision = 0) where T : notnull =>
        ConfusionMatrix.Create(truth, predicted).ForClass(positive, zeroDivision).F1;

    /// <summary>Precision = TP / (TP + FP), averaged over the classes as <paramref name="average"/> says.</summary>
    /// <param name="truth">True labels.</param>
    /// <param name="predicted">Predicted labels, paired with <paramref name="truth"/>.</param>
    /// <param name="average">How the per-class values are combined.</param>
    /// <param name="zeroDivision">A class's value when its denominator is 0: 0, 1, or NaN to leave the class out of the average.</param>
    public static double Precision<T>(IReadOnlyList<T> truth, IReadOnlyList<T> predicted, Averaging average, double zeroDivision = 0) where T : notnull =>
        ConfusionMatrix.Create(truth, predicted).Average(average, s => s.Precision, zeroDivision);

    /// <summary>Recall = TP / (TP + FN), averaged over the classes as <paramref name="average"/> says.</summary>
    /// <param name="truth">True labels.</param>
    /// <param name="predicted">Predicted labels, paired with <paramref name="truth"/>.</param>
    /// <param name="average">How the per-class values are combined.</param>
    /// <param name="zeroDivision">A class's value when its denominator is 0: 0, 1, or NaN to leave the class out of the average.</param>
    public static double Recall<T>(IReadOnlyList<T> truth, IReadOnlyList<T> predicted, Averaging average, double zeroDivision = 0) where T : notnull =>
        ConfusionMatrix.Create(truth, predicted).Average(average, s => s.Recall, zeroDivision);

    /// <summary>F1 = 2·TP / (2·TP + FP + FN) per class, averaged as <paramref name="average"/> says (micro pools the counts first).</summary>
    /// <param name="truth">True labels.</param>
    /// <param name="predicted">Predicted labels, paired with <paramref name="truth"/>.</param>
    /// <param name="average">How the per-class values are combined.</param>
    /// <param name="zeroDivision">A class's value when its denominator is 0: 0, 1, or NaN to leave the class out of the average.</param>
    public static double F1<T>(IReadOnlyList<T> truth, IReadOnlyList<T> predicted, Averaging average, double zeroDivision = 0) where T : notnull =>
        ConfusionMatrix.Create(truth, predicted).Average(average, s => s.F1, zeroDivision);

    /// <summary>
    /// Matthews correlation coefficient, the multiclass form (Gorodkin 2004) that scikit-learn uses: with confusion
    /// matrix C, n items, c correct, t_k true and p_k predicted counts per class,
    /// MCC = (c·n − Σ t_k p_k) / √((n² − Σ p_k²)(n² − Σ t_k²)); 0 when a denominator factor is 0. Range −1…1, 0 = chance.
    /// </summary>
    public static double MatthewsCorrelation<T>(IReadOnlyList<T> truth, IReadOnlyList<T> predicted) where T : notnull
    {
        var cm = ConfusionMatrix.Create(truth, predicted);
        double n = cm.Total, correct = 0, tp = 0, pp = 0, tt = 0;
        for (int k = 0; k < cm.Labels.Count; k++)
        {
            correct += cm[k, k];
            double t = cm.TrueCount(k), p = cm.PredictedCount(k);
            tp += t * p; pp += p * p; tt += t * t;
        }
        double denominator = (n * n - pp) * (n * n - tt);
        return denominator == 0 ? 0 : (correct * n - tp) / Math.Sqrt(denominator);
    }

    /// <summary>
    /// Area under the ROC curve for a binary problem: the probability that a random positive item scores higher than a
    /// random negative one, ties counting one half (the Mann–Whitney U statistic / (n₊·n₋); equals scikit-learn's
    /// trapezoidal <c>roc_auc_score</c>). Needs at least one positive and one negative item.
    /// </summary>
    public static double RocAuc(IReadOnlyList<bool> truth, IReadOnlyList<double> scores)
    {
        Check.SameLength(truth, scores, nameof(truth), nameof(scores));
        Check.Finite(scores, nameof(scores));
        return BinaryAuc(truth.Count, i => truth[i], i => scores[i], "truth");
    }

    /// <summary>
    /// Multiclass AUC-ROC, one-vs-rest with a macro average (scikit-learn's <c>multi_class="ovr", average="macro"</c>):
    /// for each class k, the binary AUC of column k of <paramref name="scores"/> for "is class k" versus the rest, then
    /// the unweighted mean. <paramref name="truth"/> holds class indices 0…K−1; every class needs a positive and a negative item.
    /// </summary>
    public static double RocAuc(IReadOnlyList<int> truth, IReadOnlyList<double[]> scores)
    {
        Check.SameLength(truth, scores, nameof(truth), nameof(scores));
        int classes = scores[0].Length;
        if (classes < 2) throw new ArgumentException("scores[0] has fewer than 2 columns; expected one score per class.", nameof(scores));
        for (int i = 0; i < truth.Count; i++)
        {
            if (scores[i] is null || scores[i].Length != classes)
                throw new ArgumentException($"scores[{i}] has {scores[i]?.Length ?? 0} columns; expected {classes} (one per class).", nameof(scores));
            if (truth[i] < 0 || truth[i] >= classes)
                throw new ArgumentException($"truth[{i}] is {truth[i]}; expected a class index in 0…{classes - 1}.", nameof(truth));
            foreach (var s in scores[i])
                if (!double.IsFinite(s)) throw new ArgumentException($"scores[{i}] contains {s}; expected finite numbers.", nameof(scores));
        }
        double sum = 0;
        for (int k = 0; k < classes; k++)
        {
            int cls = k;
            sum += BinaryAuc(truth.Count, i => truth[i] == cls, i => scores[i][cls], $"truth (class {cls})");
        }
        return sum / classes;
    }

    private static double BinaryAuc(int n, Func<int, bool> isPositive, Func<int, double> score, string truthName)
    {
        var order = Enumerable.Range(0, n).OrderBy(score).ToArray();
        double positiveRankSum = 0;
        long positives = 0;
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end + 1 < n && score(order[end + 1]) == score(order[start])) end++;
            double averageRank = (start + end) / 2.0 + 1; // tied scores share the mean of their 1-based ranks
            for (int j = start; j <= end; j++)
                if (isPositive(order[j])) { positiveRankSum += averageRank; positives++; }
            start = end + 1;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0)
            throw new ArgumentException($"{truthName} has only {(positives == 0 ? "negative" : "positive")} items; AUC needs both.", truthName);
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>
    /// Expected calibration error (Guo et al. 2017), top-label form: each item's confidence is its largest class
    /// probability and it is correct when that class (the first one on ties) is the truth. Items fall in
    /// <paramref name="bins"/> equal-width bins (m/M, (m+1)/M] (the first bin also holds 0);
    /// ECE = Σ_bins (|bin| / n) · |accuracy(bin) − mean confidence(bin)|. 0 = perfectly calibrated.
    /// </summary>
    public static double ExpectedCalibrationError(IReadOnlyList<int> truth, IReadOnlyList<double[]> probabilities, int bins = 15)
    {
        Check.SameLength(truth, probabilities, nameof(truth), nameof(probabilities));
        var confidence = new double[truth.Count];
        var correct = new bool[truth.Count];
        for (int i = 0; i < truth.Count; i++)
        {
            var row = probabilities[i] ?? throw new ArgumentException($"probabilities[{i}] is null.", nameof(probabilities));
            if (truth[i] < 0 || truth[i] >= row.Length)
                throw new ArgumentException($"truth[{i}] is {truth[i]}; expected a class index in 0…{row.Length - 1}.", nameof(truth));
            int best = 0;
            for (int k = 0; k < row.Length; k++)
            {
                Check.Probability(row[k], $"{nameof(probabilities)}[{i}]", k);
                if (row[k] > row[best]) best = k;
            }
            confidence[i] = row[best];
            correct[i] = best == truth[i];
        }
        return CalibrationError(confidence, correct, bins);
    }

    /// <summary>
    /// Expected calibration error for a binary problem given P(positive): the same top-label ECE as the multiclass overload
    /// on the two columns [1 − p, p], so a confident "negative" counts as confident too.
    /// </summary>
    public static double ExpectedCalibrationError(IReadOnlyList<bool> truth, IReadOnlyList<double> probabilityOfPositive, int bins = 15)
    {
        Check.SameLength(truth, probabilityOfPositive, nameof(truth), nameof(probabilityOfPositive));
        return ExpectedCalibrationError(
            truth.Select(t => t ? 1 : 0).ToArray(),
            probabilityOfPositive.Select(p => new[] { 1 - p, p }).ToArray(), bins);
    }

    private static double CalibrationError(double[] confidence, bool[] correct, int bins)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "expected at least one bin.");
        var count = new int[bins];
        var hits = new double[bins];
        var confidenceSum = new double[bins];
        double width = 1.0 / bins; // edges m·(1/M), the same arithmetic as numpy.linspace(0, 1, M + 1)
        for (int i = 0; i < confidence.Length; i++)
        {
            int m = Math.Clamp((int)Math.Ceiling(confidence[i] / width) - 1, 0, bins - 1);
            while (m > 0 && confidence[i] <= m * width) m--;
            while (m < bins - 1 && confidence[i] > (m + 1) * width) m++;
            count[m]++;
            hits[m] += correct[i] ? 1 : 0;
            confidenceSum[m] += confidence[i];
        }
        double ece = 0;
        for (int m = 0; m < bins; m++)
            if (count[m] > 0) ece += (double)count[m] / confidence.Length * Math.Abs(hits[m] / count[m] - confidenceSum[m] / count[m]);
        return ece;
    }

    /// <summary>Per-class precision, recall, F1 and support plus the macro, micro and weighted averages, displayable as a table.</summary>
    public static ClassificationReport Report<T>(IReadOnlyList<T> truth, IReadOnlyList<T> predicted) where T : notnull
    {
        var cm = ConfusionMatrix.Create(truth, predicted);
        var rows = cm.Labels.Select((label, k) => (Label: label.ToString() ?? "", Scores: cm.ForIndex(k))).ToList();
        return new ClassificationReport(rows,
            cm.Average(Averaging.Macro, s => s.Precision), cm.Average(Averaging.Macro, s => s.Recall), cm.Average(Averaging.Macro, s => s.F1),
            cm.Average(Averaging.Micro, s => s.F1),
            cm.Average(Averaging.Weighted, s => s.Precision), cm.Average(Averaging.Weighted, s => s.Recall), cm.Average(Averaging.Weighted, s => s.F1),
            cm.Total);
    }
}

/// <summary>One class's scores: <see cref="Support"/> is its number of true items.</summary>
public readonly record struct ClassScores(double Precision, double Recall, double F1, int Support);

/// <summary>What <see cref="Classification.Report{T}"/> returns: a scikit-learn style classification report.</summary>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class ClassificationReport
{
    internal ClassificationReport(IReadOnlyList<(string Label, ClassScores Scores)> classes,
        double macroPrecision, double macroRecall, double macroF1, double microF1,
        double weightedPrecision, double weightedRecall, double weightedF1, int total)
    {
        Classes = classes; MacroPrecision = macroPrecision; MacroRecall = macroRecall; MacroF1 = macroF1; MicroF1 = microF1;
        WeightedPrecision = weightedPrecision; WeightedRecall = weightedRecall; WeightedF1 = weightedF1; Total = total;
    }

    /// <summary>Scores per class, in sorted label order.</summary>
    public IReadOnlyList<(string Label, ClassScores Scores)> Classes { get; }
    /// <summary>Unweighted mean of the per-class precisions.</summary>
    public double MacroPrecision { get; }
    /// <summary>Unweighted mean of the per-class recalls.</summary>
    public double MacroRecall { get; }
    /// <summary>Unweighted mean of the per-class F1 scores.</summary>
    public double MacroF1 { get; }
    /// <summary>Micro F1 (equals accuracy for single-label data).</summary>
    public double MicroF1 { get; }
    /// <summary>Support-weighted mean of the per-class precisions.</summary>
    public double WeightedPrecision { get; }
    /// <summary>Support-weighted mean of the per-class recalls.</summary>
    public double WeightedRecall { get; }
    /// <summary>Support-weighted mean of the per-class F1 scores.</summary>
    public double WeightedF1 { get; }
    /// <summary>Number of items.</summary>
    public int Total { get; }

    internal IEnumerable<object?[]> Rows() =>
        Classes.Select(c => new object?[] { c.Label, c.Scores.Precision, c.Scores.Recall, c.Scores.F1, c.Scores.Support })
            .Append(["macro avg", MacroPrecision, MacroRecall, MacroF1, Total])
            .Append(["micro avg (= accuracy)", MicroF1, MicroF1, MicroF1, Total])
            .Append(["weighted avg", WeightedPrecision, WeightedRecall, WeightedF1, Total]);

    /// <inheritdoc />
    public override string ToString() =>
        $"{"class",-24}{"precision",10}{"recall",10}{"F1",10}{"support",9}\n" +
        string.Join("\n", Rows().Select(r => $"{r[0],-24}{Html.FormatNumber((double)r[1]!),10}{Html.FormatNumber((double)r[2]!),10}{Html.FormatNumber((double)r[3]!),10}{r[4],9}"));
}

/// <summary>
/// Confusion counts, scikit-learn's <c>confusion_matrix</c>: row i counts the items whose true label is
/// <see cref="Labels"/>[i], column j those predicted as <see cref="Labels"/>[j]. Displays as a table in a notebook.
/// </summary>
/// <example><code>ConfusionMatrix.Create(truth, predicted, labels: ["negative", "neutral", "positive"])</code></example>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class ConfusionMatrix
{
    private readonly int[,] _counts;
    private Dictionary<object, int>? _index;

    private ConfusionMatrix(IReadOnlyList<object> labels, int[,] counts, int total) { Labels = labels; _counts = counts; Total = total; }

    /// <summary>The labels in row and column order.</summary>
    public IReadOnlyList<object> Labels { get; }

    /// <summary>Number of items counted (those whose true and predicted labels are both in <see cref="Labels"/>).</summary>
    public int Total { get; }

    /// <summary>Items with true label <see cref="Labels"/>[<paramref name="trueIndex"/>] predicted as <see cref="Labels"/>[<paramref name="predictedIndex"/>].</summary>
    public int this[int trueIndex, int predictedIndex] => _counts[trueIndex, predictedIndex];

    /// <summary>
    /// Counts the pairs of true and predicted labels. Without <paramref name="labels"/> the labels are the sorted union of
    /// both lists (ordinal order for strings); with them, that order, and items with any other label are left out.
    /// </summary>
    public static ConfusionMatrix Create<T>(IReadOnlyList<T> truth, IReadOnlyList<T> predicted, IReadOnlyList<T>? labels = null) where T : notnull
    {
        Check.SameLength(truth, predicted, nameof(truth), nameof(predicted));
        for (int i = 0; i < truth.Count; i++)
        {
            if (truth[i] is null) throw new ArgumentException($"truth[{i}] is null; expected a label.", nameof(truth));
            if (predicted[i] is null) throw new ArgumentException($"predicted[{i}] is null; expected a label.", nameof(predicted));
        }
        IComparer<T> order = typeof(T) == typeof(string) ? (IComparer<T>)(object)StringComparer.Ordinal : Comparer<T>.Default;
        var classes = labels?.ToList() ?? truth.Concat(predicted).Distinct().Order(order).ToList();
        var index = new Dictionary<T, int>();
        foreach (var label in classes)
            if (label is null || !index.TryAdd(label, index.Count))
                throw new ArgumentException(label is null ? "labels contains null." : $"labels lists '{label}' twice; each label needs one row and column.", nameof(labels));
        var counts = new int[classes.Count, classes.Count];
        int total = 0;
        for (int i = 0; i < truth.Count; i++)
            if (index.TryGetValue(truth[i], out int t) && index.TryGetValue(predicted[i], out int p)) { counts[t, p]++; total++; }
        return new ConfusionMatrix(classes.Cast<object>().ToList(), counts, total);
    }

    /// <summary>A copy of the counts as a [true, predicted] array, the shape of scikit-learn's result.</summary>
    public int[,] ToArray() => (int[,])_counts.Clone();

    /// <summary>Items whose true label is <see cref="Labels"/>[<paramref name="k"/>] (the row sum, the class's support).</summary>
    public int TrueCount(int k) { int s = 0; for (int j = 0; j < Labels.Count; j++) s += _counts[k, j]; return s; }

    /// <summary>Items predicted as <see cref="Labels"/>[<paramref name="k"/>] (the column sum).</summary>
    public int PredictedCount(int k) { int s = 0; for (int j = 0; j < Labels.Count; j++) s += _counts[j, k]; return s; }

    internal ClassScores ForClass(object label, double zeroDivision = 0)
    {
        _index ??= Labels.Select((l, k) => (l, k)).ToDictionary(p => p.l, p => p.k);
        if (!_index.TryGetValue(label, out int k))
            throw new ArgumentException($"positive label '{label}' occurs in neither truth nor predicted; labels seen: {string.Join(", ", Labels)}.", "positive");
        return ForIndex(k, zeroDivision);
    }

    internal ClassScores ForIndex(int k, double zeroDivision = 0) => Scores(_counts[k, k], PredictedCount(k), TrueCount(k), zeroDivision);

    private static ClassScores Scores(int tp, int predicted, int actual, double zeroDivision)
    {
        if (!(zeroDivision is 0 or 1 || double.IsNaN(zeroDivision)))
            throw new ArgumentOutOfRangeException(nameof(zeroDivision), zeroDivision, "expected 0, 1 or double.NaN (scikit-learn's zero_division).");
        return new(
            predicted == 0 ? zeroDivision : (double)tp / predicted,
            actual == 0 ? zeroDivision : (double)tp / actual,
            predicted + actual == 0 ? zeroDivision : 2.0 * tp / (predicted + actual), // 2TP/(2TP+FP+FN)
            actual);
    }

    // Macro and weighted averages leave NaN classes out, as scikit-learn's _nanaverage; NaN if every class is NaN.
    internal double Average(Averaging average, Func<ClassScores, double> metric, double zeroDivision = 0)
    {
        switch (average)
        {
            case Averaging.Micro:
                int tp = 0;
                for (int k = 0; k < Labels.Count; k++) tp += _counts[k, k];
                return metric(Scores(tp, Total, Total, zeroDivision)); // pooled: every item is predicted once and true once
            case Averaging.Macro:
            case Averaging.Weighted:
                double sum = 0, weights = 0, plainSum = 0;
                int defined = 0;
                for (int k = 0; k < Labels.Count; k++)
                {
                    double value = metric(ForIndex(k, zeroDivision));
                    if (double.IsNaN(value)) continue;
                    double weight = average == Averaging.Macro ? 1 : TrueCount(k);
                    sum += value * weight; weights += weight; plainSum += value; defined++;
                }
                return defined == 0 ? double.NaN : weights == 0 ? plainSum / defined : sum / weights;
            default:
                throw new ArgumentOutOfRangeException(nameof(average), average, "expected Macro, Micro or Weighted.");
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var names = Labels.Select(l => l.ToString() ?? "").ToList();
        int width = Math.Max(names.Max(n => n.Length), Enumerable.Range(0, Labels.Count).Max(i => Enumerable.Range(0, Labels.Count).Max(j => _counts[i, j].ToString().Length))) + 2;
        return string.Join('\n', Enumerable.Range(0, Labels.Count).Select(i =>
            names[i].PadRight(width) + string.Concat(Enumerable.Range(0, Labels.Count).Select(j => _counts[i, j].ToString().PadLeft(width))))
            .Prepend("true \\ predicted".PadRight(width) + string.Concat(names.Select(n => n.PadLeft(width)))));
    }
}
