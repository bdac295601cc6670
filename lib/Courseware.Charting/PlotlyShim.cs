namespace Courseware.Charting;
public static class PlotlyShim { }
