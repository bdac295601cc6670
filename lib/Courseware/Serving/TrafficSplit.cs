using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Courseware.Registry;

namespace Courseware.Serving;

/// <summary>Which side of an A/B test answered a request.</summary>
public enum Arm
{
    /// <summary>The model in production (e.g. <c>models:/name@champion</c>).</summary>
    Champion,
    /// <summary>The candidate that receives a share of the traffic.</summary>
    Challenger,
}

/// <summary>
/// Routes a share of requests to the challenger. A request with a key (a user or session id) always goes to the
/// same arm — the key and the seed are hashed (SHA-256) to a number in [0, 1) — so a user sees one model throughout the
/// experiment; requests without a key draw from a seeded generator, so a run of the router is reproducible.
/// </summary>
/// <example><code>var split = new TrafficSplit(0.1, seed: 42); var arm = split.Route("user-17");</code></example>
public sealed class TrafficSplit
{
    private readonly Random _random;
    private readonly Lock _lock = new();

    /// <summary>A router sending <paramref name="challengerShare"/> of the traffic to the challenger.</summary>
    public TrafficSplit(double challengerShare, int seed = 0)
    {
        if (!(challengerShare >= 0 && challengerShare <= 1))
            throw new RegistryException(RegistryError.InvalidParameter, "split", $"split: expected a challenger share from 0 to 1, got {challengerShare}.");
        ChallengerShare = challengerShare;
        Seed = seed;
        _random = new Random(seed);
    }

    /// <summary>The share of requests sent to the challenger (0 to 1).</summary>
    public double ChallengerShare { get; }

    /// <summary>The seed of the generator and of the key hash.</summary>
    public int Seed { get; }

    /// <summary>The arm for a request: by its key when it has one (sticky), else by the seeded generator.</summary>
    public Arm Route(string? key = null)
    {
        double u;
        if (string.IsNullOrEmpty(key))
        {
            lock (_lock) u = _random.NextDouble();
        }
        else u = Unit(key);
        return u < ChallengerShare ? Arm.Challenger : Arm.Champion;
    }

    // The top 53 bits of SHA-256(seed:key) as a double in [0, 1): uniform for any keys, stable across processes.
    private double Unit(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{Seed}:{key}"), hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }
}
