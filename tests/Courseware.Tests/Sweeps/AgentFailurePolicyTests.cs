using Courseware.Sweeps;

namespace Courseware.Tests.Sweeps;

public class AgentFailurePolicyTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ThreeFailuresInTheFirstMinuteIsFlapping()
    {
        var policy = new AgentFailurePolicy(Start);
        Assert.Equal(AgentVerdict.Continue, policy.Record(false, Start.AddSeconds(5)));
        Assert.Equal(AgentVerdict.Continue, policy.Record(true, Start.AddSeconds(20)));
        Assert.Equal(AgentVerdict.Continue, policy.Record(false, Start.AddSeconds(30)));
        Assert.Equal(AgentVerdict.QuitFlapping, policy.Record(false, Start.AddSeconds(59)));
    }

    [Fact]
    public void FailuresAfterTheFirstMinuteAreNotFlapping()
    {
        var policy = new AgentFailurePolicy(Start);
        Assert.Equal(AgentVerdict.Continue, policy.Record(false, Start.AddSeconds(10)));
        Assert.Equal(AgentVerdict.Continue, policy.Record(false, Start.AddSeconds(30)));
        Assert.Equal(AgentVerdict.Continue, policy.Record(false, Start.AddSeconds(60))); // the window is [0, 60 s)
        Assert.Equal(3, policy.Failed);
    }

    [Fact]
    public void FifthFailureWithNoMoreSuccessesThanFailuresQuits()
    {
        // wandb_agent.py: failed >= finished and failed >= 5. Outside the flapping window.
        var policy = new AgentFailurePolicy(Start);
        var later = Start.AddMinutes(5);
        foreach (var ok in new[] { true, false, true, false, true, false, true, false })
            Assert.Equal(AgentVerdict.Continue, policy.Record(ok, later));
        Assert.Equal(AgentVerdict.QuitFailing, policy.Record(false, later)); // 5 failed, 4 finished
    }

    [Fact]
    public void FiveFailuresAmongMoreSuccessesGoOn()
    {
        var policy = new AgentFailurePolicy(Start);
        var later = Start.AddMinutes(5);
        for (var i = 0; i < 6; i++) policy.Record(true, later);
        for (var i = 0; i < 5; i++) Assert.Equal(AgentVerdict.Continue, policy.Record(false, later));
        Assert.Equal(AgentVerdict.QuitFailing, policy.Record(false, later)); // 6 failed, 6 finished
    }

    [Fact]
    public void FourFailuresNeverQuitOutsideTheWindow()
    {
        var policy = new AgentFailurePolicy(Start);
        for (var i = 0; i < 4; i++) Assert.Equal(AgentVerdict.Continue, policy.Record(false, Start.AddMinutes(2 + i)));
    }

    [Fact]
    public void LimitsAreConfigurable()
    {
        var policy = new AgentFailurePolicy(Start, flappingMaxFailures: 1, flappingWindow: TimeSpan.FromSeconds(10), maxInitialFailures: 2);
        Assert.Equal(AgentVerdict.QuitFlapping, policy.Record(false, Start.AddSeconds(1)));
        var slow = new AgentFailurePolicy(Start, flappingMaxFailures: 1, flappingWindow: TimeSpan.FromSeconds(10), maxInitialFailures: 2);
        Assert.Equal(AgentVerdict.Continue, slow.Record(false, Start.AddSeconds(11)));
        Assert.Equal(AgentVerdict.QuitFailing, slow.Record(false, Start.AddSeconds(12)));
    }
}
