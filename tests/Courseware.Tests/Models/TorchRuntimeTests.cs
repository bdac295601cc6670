using Courseware.Models;
using TorchSharp;

namespace Courseware.Tests.Models;

public class TorchRuntimeTests
{
    [Fact]
    public void Tensors_are_created_multiplied_and_summed()
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(7);
        using var a = torch.randn(3, 4);
        using var b = torch.randn(4, 2);
        using var product = torch.matmul(a, b);
        using var total = product.sum();

        // Reference: the same product and sum computed by hand from the tensors' own values.
        float[] av = a.data<float>().ToArray(), bv = b.data<float>().ToArray(), pv = product.data<float>().ToArray();
        double expectedSum = 0;
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++)
        {
            double cell = 0;
            for (int k = 0; k < 4; k++) cell += av[i * 4 + k] * bv[k * 2 + j];
            Assert.Equal(cell, pv[i * 2 + j], 5);
            expectedSum += cell;
        }
        Assert.Equal(new long[] { 3, 2 }, product.shape);
        Assert.Equal(expectedSum, total.item<float>(), 4);
        Assert.NotEqual(0.0, expectedSum); // randn really produced data
    }
}
