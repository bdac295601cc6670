namespace Courseware.Tests.Fixtures;

/// <summary>A penguin row as the ML.NET model tests train on it (species label, two beak measurements).</summary>
public sealed class Penguin
{
    public string Species { get; set; } = "";
    public float BeakLength { get; set; }
    public float BeakDepth { get; set; }
}

/// <summary>What a trained penguin classifier predicts for a <see cref="Penguin"/>.</summary>
public sealed class PenguinPrediction
{
    public string PredictedSpecies { get; set; } = "";
}
