using Courseware.Notebooks;
using Courseware.Evaluation;

namespace Courseware.Tests.Evaluation;

// Expected values come from reference/make_reference.py (scikit-learn 1.2.1, numpy 1.24.2), pasted with 1e-12 tolerance
// unless a comment says otherwise; the inputs are the same literals as in that script.
public class ClassificationTests
{
    private static readonly string[] Truth = ["cat", "dog", "bird", "cat", "cat", "dog", "bird", "bird", "cat", "dog", "dog", "cat"];
    private static readonly string[] Predicted = ["cat", "dog", "cat", "cat", "dog", "dog", "bird", "cat", "cat", "bird", "dog", "cat"];
    private const double Tol = 1e-12;

    [Fact]
    public void Multiclass_scores_match_scikit_learn()
    {
        Assert.Equal(0.6666666666666666, Classification.Accuracy(Truth, Predicted), Tol);
        Assert.Equal(0.6388888888888888, Classification.Precision(Truth, Predicted, Averaging.Macro), Tol);
        Assert.Equal(0.6277777777777778, Classification.Recall(Truth, Predicted, Averaging.Macro), Tol);
        Assert.Equal(0.6257575757575757, Classification.F1(Truth, Predicted, Averaging.Macro), Tol);
        Assert.Equal(0.6666666666666666, Classification.Precision(Truth, Predicted, Averaging.Micro), Tol);
        Assert.Equal(0.6666666666666666, Classification.Recall(Truth, Predicted, Averaging.Micro), Tol);
        Assert.Equal(0.6666666666666666, Classification.F1(Truth, Predicted, Averaging.Micro), Tol);
        Assert.Equal(0.6527777777777778, Classification.Precision(Truth, Predicted, Averaging.Weighted), Tol);
        Assert.Equal(0.6666666666666666, Classification.Recall(Truth, Predicted, Averaging.Weighted), Tol);
        Assert.Equal(0.653030303030303, Classification.F1(Truth, Predicted, Averaging.Weighted), Tol);
        Assert.Equal(0.4837794468468967, Classification.MatthewsCorrelation(Truth, Predicted), Tol);
    }

    [Fact]
    public void A_class_never_predicted_counts_as_zero_precision()
    {
        int[] truth = [0, 1, 2, 2, 1, 0, 2], predicted = [0, 1, 1, 1, 1, 0, 0];
        Assert.Equal(0.38888888888888884, Classification.Precision(truth, predicted, Averaging.Macro), Tol);
        Assert.Equal(0.48888888888888893, Classification.F1(truth, predicted, Averaging.Macro), Tol);
        Assert.Equal(0.5051814855409226, Classification.MatthewsCorrelation(truth, predicted), Tol);
    }

    [Fact]
    public void Confusion_matrix_matches_scikit_learn_in_either_label_order()
    {
        var cm = ConfusionMatrix.Create(Truth, Predicted);
        Assert.Equal(["bird", "cat", "dog"], cm.Labels);
        Assert.Equal(new[,] { { 1, 2, 0 }, { 0, 4, 1 }, { 1, 0, 3 } }, cm.ToArray());
        // labels=["dog", "cat", "fish"]: that order, an unseen label gets zeros, items of other labels (bird) are left out.
        cm = ConfusionMatrix.Create(Truth, Predicted, labels: ["dog", "cat", "fish"]);
        Assert.Equal(new[,] { { 3, 0, 0 }, { 1, 4, 0 }, { 0, 0, 0 } }, cm.ToArray());
        Assert.Equal(8, cm.Total);
        Assert.Equal(4, cm[1, 1]);
        Assert.Contains("<table", HtmlRenderers.Render(cm));
        var e = Assert.Throws<ArgumentException>(() => ConfusionMatrix.Create(Truth, Predicted, labels: ["dog", "dog"]));
        Assert.Contains("'dog' twice", e.Message);
    }

    // scikit-learn 1.2.1 for zero_division 0 and 1. NaN is scikit-learn ≥ 1.3's option, by hand: class 2 is never
    // predicted, so its precision is NaN and the averages leave it out: macro = (2/3 + 2/4) / 2 = 7/12, weighted by
    // support (2, 2) = 7/12; recall where class 2 is predicted but never true: (1/2 + 1) / 2 = 0.75.
    [Fact]
    public void Zero_division_follows_scikit_learn()
    {
        int[] truth = [0, 1, 2, 2, 1, 0, 2], predicted = [0, 1, 1, 1, 1, 0, 0];
        Assert.Equal(0.38888888888888884, Classification.Precision(truth, predicted, Averaging.Macro, zeroDivision: 0), Tol);
        Assert.Equal(0.7222222222222222, Classification.Precision(truth, predicted, Averaging.Macro, zeroDivision: 1), Tol);
        Assert.Equal(0.7619047619047619, Classification.Precision(truth, predicted, Averaging.Weighted, zeroDivision: 1), Tol);
        Assert.Equal(0.48888888888888893, Classification.F1(truth, predicted, Averaging.Macro, zeroDivision: 1), Tol);
        Assert.Equal(0.41904761904761906, Classification.F1(truth, predicted, Averaging.Weighted, zeroDivision: 1), Tol);
        Assert.Equal(1.0, Classification.Precision(truth, predicted, 2, zeroDivision: 1));
        Assert.Equal(7.0 / 12, Classification.Precision(truth, predicted, Averaging.Macro, zeroDivision: double.NaN), Tol);
        Assert.Equal(7.0 / 12, Classification.Precision(truth, predicted, Averaging.Weighted, zeroDivision: double.NaN), Tol);
        Assert.True(double.IsNaN(Classification.Precision(truth, predicted, 2, zeroDivision: double.NaN)));
        int[] truth2 = [0, 0, 1, 1], predicted2 = [0, 2, 1, 1];
        Assert.Equal(0.5, Classification.Recall(truth2, predicted2, Averaging.Macro), Tol);
        Assert.Equal(0.8333333333333334, Classification.Recall(truth2, predicted2, Averaging.Macro, zeroDivision: 1), Tol);
        Assert.Equal(0.5555555555555555, Classification.F1(truth2, predicted2, Averaging.Macro, zeroDivision: 1), Tol);
        Assert.Equal(0.75, Classification.Recall(truth2, predicted2, Averaging.Macro, zeroDivision: double.NaN), Tol);
        Assert.Throws<ArgumentOutOfRangeException>(() => Classification.F1(truth, predicted, Averaging.Macro, zeroDivision: 0.5));
    }

    private static readonly bool[] BinaryTruth = [true, false, true, true, false, false, true, false, true, false, true, false];
    private static readonly double[] BinaryScores = [0.9, 0.1, 0.8, 0.4, 0.4, 0.3, 0.65, 0.7, 0.55, 0.2, 0.4, 0.5];

    [Fact]
    public void Binary_scores_match_scikit_learn()
    {
        // Scores with ties (three items at 0.4) exercise the half-credit rule.
        Assert.Equal(0.8055555555555556, Classification.RocAuc(BinaryTruth, BinaryScores), Tol);
        var predicted = BinaryScores.Select(s => s >= 0.5).ToArray();
        Assert.Equal(0.6666666666666666, Classification.Precision(BinaryTruth, predicted, true), Tol);
        Assert.Equal(0.6666666666666666, Classification.Recall(BinaryTruth, predicted, true), Tol);
        Assert.Equal(0.6666666666666666, Classification.F1(BinaryTruth, predicted, true), Tol);
        Assert.Equal(0.3333333333333333, Classification.MatthewsCorrelation(BinaryTruth, predicted), Tol);
    }

    private static readonly int[] Truth3 = [0, 1, 2, 2, 1, 0, 1, 2, 0, 1];
    private static readonly double[][] Probs3 =
    [
        [0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.3, 0.3, 0.4], [0.4, 0.4, 0.2],
        [0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.3, 0.5, 0.2], [0.6, 0.3, 0.1],
    ];

    [Fact]
    public void One_vs_rest_macro_auc_matches_scikit_learn() =>
        Assert.Equal(0.8958333333333334, Classification.RocAuc(Truth3, Probs3), Tol);

    [Fact]
    public void Expected_calibration_error_matches_the_numpy_reference()
    {
        // Confidences 0.4 sit exactly on a 10-bin edge: they belong to (0.3, 0.4].
        Assert.Equal(0.13999999999999996, Classification.ExpectedCalibrationError(Truth3, Probs3, bins: 10), 1e-12);
        Assert.Equal(0.13999999999999996, Classification.ExpectedCalibrationError(Truth3, Probs3, bins: 3), 1e-12);
        Assert.Equal(0.12499999999999997, Classification.ExpectedCalibrationError(BinaryTruth, BinaryScores, bins: 10), 1e-12);
        Assert.Equal(0.12499999999999992, Classification.ExpectedCalibrationError(BinaryTruth, BinaryScores, bins: 4), 1e-12);
        Assert.Equal(0.1833333333333333, Classification.ExpectedCalibrationError(BinaryTruth, BinaryScores), 1e-12); // default 15 bins
    }

    [Fact]
    public void Perfectly_calibrated_predictions_have_zero_ece()
    {
        // Ten items at confidence 0.7 of which seven are right: accuracy equals confidence.
        var truth = Enumerable.Range(0, 10).Select(i => i < 7).ToArray();
        Assert.Equal(0, Classification.ExpectedCalibrationError(truth, Enumerable.Repeat(0.7, 10).ToArray()), 1e-12);
    }

    [Fact]
    public void Report_lists_every_class_and_the_averages()
    {
        var report = Classification.Report(Truth, Predicted);
        Assert.Equal(["bird", "cat", "dog"], report.Classes.Select(c => c.Label));
        Assert.Equal(0.6257575757575757, report.MacroF1, Tol);
        Assert.Equal(0.653030303030303, report.WeightedF1, Tol);
        Assert.Equal(5, report.Classes[1].Scores.Support);
        Assert.Contains("<table", HtmlRenderers.Render(report));
        Assert.Contains("macro avg", report.ToString());
    }

    [Fact]
    public void Report_escapes_labels()
    {
        var html = HtmlRenderers.Render(Classification.Report(["<b>x</b>", "y"], ["<b>x</b>", "x"]));
        Assert.DoesNotContain("<b>x</b>", html);
        Assert.Contains("&lt;b&gt;x&lt;/b&gt;", html);
    }

    [Fact]
    public void Bad_inputs_fail_with_the_reason()
    {
        var e = Assert.Throws<ArgumentException>(() => Classification.Accuracy([1, 2, 3], [1, 2]));
        Assert.Contains("truth has 3 values but predicted has 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => Classification.RocAuc([true, true], [0.1, 0.2]));
        Assert.Contains("only positive items", e.Message);
        e = Assert.Throws<ArgumentException>(() => Classification.RocAuc([0, 3], [[0.5, 0.5], [0.5, 0.5]]));
        Assert.Contains("truth[1] is 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => Classification.ExpectedCalibrationError([true], [1.5]));
        Assert.Contains("expected a probability", e.Message);
        e = Assert.Throws<ArgumentException>(() => Classification.Precision([1, 2], [1, 2], 7));
        Assert.Contains("positive label '7'", e.Message);
        Assert.Throws<ArgumentException>(() => Classification.Accuracy(Array.Empty<int>(), Array.Empty<int>()));
    }
}

public class RegressionTests
{
    private static readonly double[] Truth = [3.0, -0.5, 2.0, 7.0, 4.2, 0.0, 1.5, 9.1];
    private static readonly double[] Predicted = [2.5, 0.0, 2.1, 7.8, 3.9, 0.3, 1.1, 8.0];

    [Fact]
    public void Errors_match_scikit_learn()
    {
        Assert.Equal(0.49999999999999994, Regression.MeanAbsoluteError(Truth, Predicted), 1e-12);
        Assert.Equal(0.3374999999999999, Regression.MeanSquaredError(Truth, Predicted), 1e-12);
        Assert.Equal(0.5809475019311124, Regression.RootMeanSquaredError(Truth, Predicted), 1e-12);
        Assert.Equal(0.9656001656288322, Regression.RSquared(Truth, Predicted), 1e-12);
    }

    [Fact]
    public void Mape_matches_scikit_learn_including_its_epsilon_guard_for_zero_truth()
    {
        // A true value of 0 divides by machine epsilon: huge but finite, as in scikit-learn.
        Assert.Equal(168884986026393.8, Regression.MeanAbsolutePercentageError(Truth, Predicted), 1.0);
        double[] truth = [3.0, -0.5, 2.0, 7.0, 4.2, 1.5, 9.1], predicted = [2.5, 0.0, 2.1, 7.8, 3.9, 1.1, 8.0];
        Assert.Equal(0.2557038199895343, Regression.MeanAbsolutePercentageError(truth, predicted), 1e-12);
    }

    [Fact]
    public void R_squared_of_constant_truth_follows_scikit_learn()
    {
        Assert.Equal(1, Regression.RSquared([2.0, 2.0], [2.0, 2.0]));
        Assert.Equal(0, Regression.RSquared([2.0, 2.0], [2.0, 3.0]));
    }

    [Fact]
    public void Non_finite_values_are_rejected_by_position()
    {
        var e = Assert.Throws<ArgumentException>(() => Regression.MeanAbsoluteError([1.0, double.NaN], [1.0, 2.0]));
        Assert.Contains("truth[1] is NaN", e.Message);
    }
}

public class RankingTests
{
    private static readonly string[] Ranked = ["d3", "d1", "d7", "d2", "d9", "d4"];
    private static readonly Dictionary<string, double> Relevance = new() { ["d1"] = 3, ["d2"] = 2, ["d4"] = 3, ["d5"] = 1, ["d7"] = 0 };

    [Theory]
    [InlineData(1, 0.0)] // the top item is unjudged
    [InlineData(3, 0.32120430189708044)]
    [InlineData(5, 0.4355431745480896)]
    [InlineData(6, 0.6045361907116412)]
    public void Ndcg_matches_scikit_learn(int k, double expected) =>
        Assert.Equal(expected, Ranking.Ndcg(Ranked, Relevance, k), 1e-12);

    [Fact]
    public void Precision_recall_and_reciprocal_rank_by_hand()
    {
        var relevant = new HashSet<string> { "d1", "d2", "d4", "d5" };
        Assert.Equal(1.0 / 3, Ranking.PrecisionAtK(Ranked, relevant, 3), 1e-12);  // d1 in top 3
        Assert.Equal(0.5, Ranking.PrecisionAtK(Ranked, relevant, 6), 1e-12);      // d1, d2, d4 in 6
        Assert.Equal(0.5, Ranking.RecallAtK(Ranked, relevant, 4), 1e-12);         // d1, d2 of 4
        Assert.Equal(0.75, Ranking.RecallAtK(Ranked, relevant, 6), 1e-12);        // d1, d2, d4 of 4
        Assert.Equal(0.5, Ranking.ReciprocalRank(Ranked, relevant), 1e-12);       // first hit at rank 2
        // MRR over three queries: ranks 2, 1 and none → (1/2 + 1 + 0) / 3
        var queries = new List<(IReadOnlyList<string>, IReadOnlySet<string>)>
        {
            (Ranked, relevant), (["a", "b"], new HashSet<string> { "a" }), (["x"], new HashSet<string> { "y" }),
        };
        Assert.Equal(0.5, Ranking.MeanReciprocalRank(queries), 1e-12);
    }

    [Fact]
    public void Binary_ndcg_of_a_perfect_ranking_is_one()
    {
        Assert.Equal(1, Ranking.Ndcg(["a", "b", "c"], new HashSet<string> { "a", "b" }, 3), 1e-12);
        // Relevant item at rank 2 only: (1/log2 3) / 1
        Assert.Equal(1 / Math.Log2(3), Ranking.Ndcg(["x", "a"], new HashSet<string> { "a" }, 2), 1e-12);
    }

    [Fact]
    public void Bad_k_and_empty_relevant_sets_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Ranking.PrecisionAtK(Ranked, new HashSet<string>(), 0));
        var e = Assert.Throws<ArgumentException>(() => Ranking.RecallAtK(Ranked, new HashSet<string>(), 3));
        Assert.Contains("relevant is empty", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ranking.Ndcg(Ranked, new Dictionary<string, double> { ["d1"] = -1 }, 3));
        Assert.Contains("relevance of 'd1' is -1", e.Message);
    }
}

public class PerplexityTests
{
    [Fact]
    public void Perplexity_is_the_inverse_geometric_mean_probability()
    {
        // p = 1/2, 1/4, 1/8: exp(−mean ln p) = (2·4·8)^(1/3) = 4
        Assert.Equal(4, Perplexity.FromLogProbs([Math.Log(0.5), Math.Log(0.25), Math.Log(0.125)]), 1e-12);
        // Token-weighted over sequences: one token at 1/2 plus two at 1/8 → (2·8·8)^(1/3) = 128^(1/3)
        Assert.Equal(Math.Cbrt(128), Perplexity.FromLogProbs([[Math.Log(0.5)], [Math.Log(0.125), Math.Log(0.125)]]), 1e-12);
    }

    [Fact]
    public void Positive_log_probabilities_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Perplexity.FromLogProbs([[-0.1], [-0.2, 0.3]]));
        Assert.Contains("sequence 1, token 1", e.Message);
        Assert.Throws<ArgumentException>(() => Perplexity.FromLogProbs(Array.Empty<double>()));
    }
}
