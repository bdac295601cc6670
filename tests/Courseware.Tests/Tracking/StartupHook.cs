using System.Runtime.CompilerServices;
using System.Runtime.Loader;

// A .NET startup hook (DOTNET_STARTUP_HOOKS=<this assembly>): the runtime calls Initialize before Main.
// MultiProcessTests starts this assembly as a child process this way; outside such a child it does nothing.
// The runtime requires this exact shape: a type named StartupHook in the global namespace.
internal static class StartupHook
{
    public static void Initialize()
    {
        var role = Environment.GetEnvironmentVariable(Courseware.Tests.Tracking.TrackingChild.RoleVariable);
        if (string.IsNullOrEmpty(role)) return;
        // The test deps.json does not list the Courseware project (the test host probes its folder instead), so the
        // child resolves assemblies from its own folder the same way.
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var file = Path.Combine(AppContext.BaseDirectory, name.Name + ".dll");
            return File.Exists(file) ? context.LoadFromAssemblyPath(file) : null;
        };
        Run(role);
    }

    // Separate method: Courseware types must be resolved only after the handler above is in place.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Run(string role)
    {
        var args = (Environment.GetEnvironmentVariable("COURSEWARE_TRACKING_CHILD_ARGS") ?? "").Split('\n');
        Environment.Exit(Courseware.Tests.Tracking.TrackingChild.Execute(role, args));
    }
}
