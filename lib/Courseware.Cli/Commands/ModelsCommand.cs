using System.CommandLine;
using Courseware.Models;

namespace Courseware.Cli.Commands;

/// <summary><c>courseware models retrain</c>: retrains the course's TinyGpt checkpoints (Courseware.Models.TinyGptRecipes).</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder that receives one checkpoint folder per recipe.", DefaultValueFactory = _ => "datasets/models" };
        var only = new Option<string?>("--recipe") { Description = "Train only this recipe (tinygpt-small or tinygpt-base)." };
        var retrain = new Command("retrain", "Retrain the shipped TinyGpt checkpoints on the CPU, bit for bit.") { output, only };
        retrain.SetAction(async (parseResult, cancellationToken) =>
        {
            string root = parseResult.GetValue(output)!;
            string? name = parseResult.GetValue(only);
            var recipes = TinyGptRecipes.All.Where(r => name == null || r.Name == name).ToList();
            if (recipes.Count == 0)
            {
                Console.Error.WriteLine($"Unknown recipe '{name}'; expected one of: {string.Join(", ", TinyGptRecipes.All.Select(r => r.Name))}.");
                return 2;
            }
            foreach (TinyGptRecipe recipe in recipes)
            {
                var progress = new Progress<TrainingProgress>(p =>
                {
                    if (p.Step % 100 == 0 || p.Step == p.Steps) Console.WriteLine($"{recipe.Name}: step {p.Step}/{p.Steps} loss {p.Loss:0.000}");
                });
                TrainedCheckpoint result = await TinyGptRecipes.TrainAsync(recipe, root, progress, cancellationToken);
                Console.WriteLine($"{recipe.Name}: {result.Parameters:N0} parameters, {result.TrainingTime.TotalSeconds:0} s, " +
                                  $"seen-fact accuracy {result.Accuracy.Seen:0.000} (MMLU format {result.Accuracy.SeenMmlu:0.000}), held-out {result.Accuracy.HeldOut:0.000} (MMLU {result.Accuracy.HeldOutMmlu:0.000}), sha256 {result.WeightsSha256} -> {result.Folder}");
            }
            return 0;
        });
        var checkpoint = new Argument<string>("checkpoint") { Description = "A TinyGpt checkpoint folder (model.safetensors, config.json, tokenizer.json)." };
        var export = new Command("export-onnx", "Write model.onnx (opset 17, dynamic batch and sequence) into a TinyGpt checkpoint folder.") { checkpoint };
        export.SetAction(parseResult =>
        {
            string folder = parseResult.GetValue(checkpoint)!;
            using TinyGpt model = TinyGpt.Load(folder, "cpu");
            Console.WriteLine($"{model.Name} -> {Courseware.Models.Onnx.OnnxLanguageModel.Export(model, folder)}");
            return 0;
        });
        return new Command("models", "The course's language models.") { retrain, export };
    }
}
