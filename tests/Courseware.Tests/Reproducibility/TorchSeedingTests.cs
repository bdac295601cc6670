using Courseware.Models;
using Courseware.Reproducibility;
using TorchSharp;

namespace Courseware.Tests.Reproducibility;

[Collection(TorchCollection.Name)]
public class TorchSeedingTests
{
    private static float[] Draw(SeedPlan plan)
    {
        plan.ApplyToTorch();
        using var t = torch.randn(1000);
        return t.data<float>().ToArray();
    }

    [Fact]
    public void Same_plan_same_draws_and_a_varied_component_changes_them()
    {
        TorchRuntime.EnsureLoaded();
        var plan = new SeedPlan(42);
        Assert.Equal(Draw(plan), Draw(plan));
        Assert.NotEqual(Draw(plan), Draw(plan.Vary(SeedComponents.Initialization)));
        Assert.Equal(Draw(plan), Draw(plan.Vary(SeedComponents.Shuffle))); // only the init component seeds torch's global generator
    }

    [Fact]
    public void Component_generators_are_independent_and_repeatable()
    {
        TorchRuntime.EnsureLoaded();
        var plan = new SeedPlan(42);
        long[] Perm(SeedPlan p) { using var g = p.CreateTorchGenerator(SeedComponents.Shuffle); using var t = torch.randperm(20, generator: g); return t.data<long>().ToArray(); }
        Assert.Equal(Perm(plan), Perm(plan));
        Assert.NotEqual(Perm(plan), Perm(plan.Vary(SeedComponents.Shuffle)));
    }

    [Fact]
    public void Torch_training_reproduces_bit_for_bit_on_cpu()
    {
        TorchRuntime.EnsureLoaded();
        TorchSeeding.EnableTorchDeterminism(threads: 1);
        Assert.Equal(1, torch.get_num_threads());
        TrainingOutcome Train(SeedPlan seeds)
        {
            seeds.ApplyToTorch();
            using var x = torch.randn(256, 16);
            using var y = x.sum(1, keepdim: true);
            var lin = torch.nn.Linear(16, 1);
            var init = lin.weight!.data<float>().ToArray();
            var opt = torch.optim.SGD(lin.parameters(), 0.05);
            using var g = seeds.CreateTorchGenerator(SeedComponents.Shuffle);
            for (var epoch = 0; epoch < 3; epoch++)
            {
                using var order = torch.randperm(256, generator: g);
                for (var b = 0; b < 256; b += 32)
                {
                    using var idx = order.slice(0, b, b + 32, 1);
                    opt.zero_grad();
                    using var loss = torch.nn.functional.mse_loss(lin.forward(x.index_select(0, idx)), y.index_select(0, idx));
                    loss.backward();
                    opt.step();
                }
            }
            return new TrainingOutcome().Array("init.weights", init).Array("weights", lin.weight!.data<float>().ToArray());
        }
        var audit = ReproducibilityAudit.Run(Train, new SeedPlan(42, SeedComponents.Initialization, SeedComponents.Shuffle));
        Assert.True(audit.Reproduced, audit.ToString());
        Assert.All(audit.Sensitivity, s => Assert.True(s.HasEffect, s.Component));
    }
}
