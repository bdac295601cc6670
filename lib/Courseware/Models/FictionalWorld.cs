namespace Courseware.Models;

/// <summary>One fact of the fictional world: "Ilsa Brandt" —lives in→ "Oromar".</summary>
/// <param name="Person">Subject.</param>
/// <param name="Relation">One of <see cref="FictionalWorld.Relations"/>.</param>
/// <param name="Value">Object.</param>
/// <param name="InTraining">True when the training corpus states this fact; false for held-out facts.</param>
public sealed record WorldFact(string Person, string Relation, string Value, bool InTraining);

/// <summary>A benchmark-style multiple-choice question, scored lm-eval style: log P(" " + choice | Prompt).</summary>
/// <param name="Id">Stable id (relation and person).</param>
/// <param name="Prompt">"Question: ...\nAnswer:" (no trailing space; the choices carry it).</param>
/// <param name="Choices">Four answers without the leading space.</param>
/// <param name="Answer">Index of the gold choice.</param>
/// <param name="InTraining">Whether the fact asked about is in the training corpus.</param>
public sealed record MultipleChoiceQuestion(string Id, string Prompt, IReadOnlyList<string> Choices, int Answer, bool InTraining);

/// <summary>
/// A seeded fictional world of people and everyday facts (where they live, their trade, their pet, their favourite
/// colour). A share of the facts is held out of the training corpus: questions about facts seen in training measure
/// memorisation (well above chance for a trained TinyGpt), questions about held-out facts sit near chance (25 %),
/// which is what the labs use to teach contamination and generalisation. Values are drawn uniformly, so no answer is
/// guessable from priors.
/// </summary>
/// <example><code>var world = FictionalWorld.Generate(seed: 0); var questions = world.Questions(inTraining: false);</code></example>
public sealed class FictionalWorld
{
    /// <summary>The relations every person has.</summary>
    public static readonly IReadOnlyList<string> Relations = ["lives_in", "works_as", "pet", "colour"];

    private static readonly string[] Towns = ["Oromar", "Telvi", "Quenby", "Adrath", "Mossik", "Varenne", "Pellow", "Dunmere"];
    private static readonly string[] Trades = ["baker", "potter", "weaver", "miller", "tailor", "glazier", "cooper", "mason"];
    private static readonly string[] Pets = ["cat", "goat", "parrot", "tortoise", "ferret", "hound"];
    private static readonly string[] Colours = ["red", "green", "amber", "violet", "teal", "grey", "ochre", "indigo"];
    private static readonly string[] Onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "st", "th"];
    private static readonly string[] Vowels = ["a", "e", "i", "o", "u", "ae", "io"];
    private static readonly string[] Codas = ["", "n", "r", "l", "s", "th", "m"];

    private FictionalWorld(int seed, IReadOnlyList<string> people, IReadOnlyList<WorldFact> facts, IReadOnlyList<string> documents)
    {
        Seed = seed;
        People = people;
        Facts = facts;
        TrainingDocuments = documents;
    }

    /// <summary>The seed the world was generated from.</summary>
    public int Seed { get; }

    /// <summary>Everyone in the world.</summary>
    public IReadOnlyList<string> People { get; }

    /// <summary>Every fact, seen and held out.</summary>
    public IReadOnlyList<WorldFact> Facts { get; }

    /// <summary>The training corpus: short documents (statements, everyday scenes, question–answer pairs, MMLU-format items) about seen facts only.</summary>
    public IReadOnlyList<string> TrainingDocuments { get; }

    /// <summary>Generates the world; the same arguments always give the same world and corpus.</summary>
    /// <param name="seed">Seed of every random choice.</param>
    /// <param name="people">Number of people.</param>
    /// <param name="heldOutShare">Share of facts kept out of the corpus.</param>
    public static FictionalWorld Generate(int seed = 0, int people = 48, double heldOutShare = 0.3)
    {
        if (people < 4) throw new ArgumentOutOfRangeException(nameof(people), people, "A world needs at least 4 people.");
        if (heldOutShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(heldOutShare), heldOutShare, "Expected a share between 0 and 1.");
        var random = new Random(seed);
        var names = new List<string>();
        var used = new HashSet<string>();
        while (names.Count < people)
        {
            string name = Word(random, 2) + " " + Word(random, 2);
            if (used.Add(name)) names.Add(name);
        }

        var facts = new List<WorldFact>();
        foreach (string person in names)
        {
            foreach (string relation in Relations)
            {
                string[] values = ValuesOf(relation);
                facts.Add(new WorldFact(person, relation, values[random.Next(values.Length)], random.NextDouble() >= heldOutShare));
            }
        }

        // Each seen fact also appears as the MMLU-format item that asks about it, word for word as the course's
        // benchmark files and the harness's zero-shot prompt show it: the verbatim leak a scraped benchmark page causes,
        // which the contamination check finds. Held-out facts never get one.
        var seenItems = BuildQuestions(seed, facts, inTraining: true).Select(AsMmlu).ToDictionary(q => q.Id, q => q.Prompt + " " + q.Choices[q.Answer]);
        var documents = new List<string>();
        foreach (string person in names)
        {
            var known = facts.Where(f => f.Person == person && f.InTraining).ToList();
            if (known.Count == 0) continue;
            // Three paraphrased profiles per person, each with its own sentence order.
            for (int repeat = 0; repeat < 3; repeat++)
            {
                var sentences = known.OrderBy(_ => random.Next()).Select(f => Statement(f, random)).ToList();
                documents.Add(string.Join(" ", sentences));
            }
            documents.Add(Scene(person, known, random));
            documents.AddRange(known.Select(f => QuestionText(f) + " " + f.Value));
            documents.AddRange(known.Select(f => seenItems[Id(f)]));
        }
        Shuffle(documents, random);
        return new FictionalWorld(seed, names, facts, documents);
    }

    /// <summary>Multiple-choice questions about seen (<paramref name="inTraining"/> true) or held-out facts; seeded distractors.</summary>
    public IReadOnlyList<MultipleChoiceQuestion> Questions(bool inTraining) => BuildQuestions(Seed, Facts, inTraining);

    /// <summary>
    /// The same questions in MMLU's zero-shot layout, scored on the letters " A".." D":
    /// "The following are multiple choice questions (with answers) about tinyworld towns.\n\nWhere does … live?\nA. …\nD. …\nAnswer:".
    /// </summary>
    public IReadOnlyList<MultipleChoiceQuestion> MmluQuestions(bool inTraining) => Questions(inTraining).Select(AsMmlu).ToList();

    /// <summary>A question in MMLU's zero-shot layout (the subject of its relation as in the course's benchmark files); choices become the letters A–D.</summary>
    public static MultipleChoiceQuestion AsMmlu(MultipleChoiceQuestion question)
    {
        ArgumentNullException.ThrowIfNull(question);
        string relation = question.Id[..question.Id.IndexOf('/', StringComparison.Ordinal)];
        string ask = question.Prompt["Question: ".Length..^"\nAnswer:".Length];
        string prompt = Benchmarks.Mmlu.Description(Benchmarks.TinyWorldBenchmarks.Subjects[relation].Subject) + Benchmarks.Mmlu.Prompt(ask, question.Choices);
        return question with { Prompt = prompt, Choices = ["A", "B", "C", "D"] };
    }

    private static List<MultipleChoiceQuestion> BuildQuestions(int seed, IEnumerable<WorldFact> facts, bool inTraining)
    {
        var random = new Random(seed * 7919 + (inTraining ? 1 : 2));
        var result = new List<MultipleChoiceQuestion>();
        foreach (WorldFact fact in facts.Where(f => f.InTraining == inTraining))
        {
            var distractors = ValuesOf(fact.Relation).Where(v => v != fact.Value).OrderBy(_ => random.Next()).Take(3);
            var choices = distractors.Append(fact.Value).OrderBy(_ => random.Next()).ToList();
            result.Add(new MultipleChoiceQuestion(Id(fact), QuestionText(fact), choices, choices.IndexOf(fact.Value), inTraining));
        }
        return result;
    }

    private static string Id(WorldFact fact) => $"{fact.Relation}/{fact.Person}";

    /// <summary>The full training text, documents separated by the end-of-text marker (for inspection and for the tokenizer's vocabulary).</summary>
    public string CorpusText() => string.Join(CharacterTokenizer.EndOfText, TrainingDocuments);

    private static string[] ValuesOf(string relation) => relation switch
    {
        "lives_in" => Towns,
        "works_as" => Trades,
        "pet" => Pets,
        "colour" => Colours,
        _ => throw new ArgumentException($"Unknown relation '{relation}'.", nameof(relation)),
    };

    private static string QuestionText(WorldFact fact) => fact.Relation switch
    {
        "lives_in" => $"Question: Where does {fact.Person} live?\nAnswer:",
        "works_as" => $"Question: What is the trade of {fact.Person}?\nAnswer:",
        "pet" => $"Question: Which pet does {fact.Person} keep?\nAnswer:",
        _ => $"Question: What is the favourite colour of {fact.Person}?\nAnswer:",
    };

    private static string Statement(WorldFact fact, Random random)
    {
        string[] templates = fact.Relation switch
        {
            "lives_in" => ["{0} lives in {1}.", "{0} has a home in {1}.", "The town of {1} is where {0} lives."],
            "works_as" => ["{0} works as a {1}.", "{0} is a {1} by trade.", "By day, {0} is a {1}."],
            "pet" => ["{0} keeps a {1} as a pet.", "{0} has a pet {1}.", "The {1} at home belongs to {0}."],
            _ => ["The favourite colour of {0} is {1}.", "{0} likes the colour {1} best.", "{0} always wears something {1}."],
        };
        return string.Format(templates[random.Next(templates.Length)], fact.Person, fact.Value);
    }

    /// <summary>An everyday scene that mentions only what the corpus already states about the person.</summary>
    private static string Scene(string person, List<WorldFact> known, Random random)
    {
        string[] openings = ["On a rainy morning,", "After a long week,", "Early on market day,", "In the quiet evening,"];
        var parts = new List<string> { $"{openings[random.Next(openings.Length)]} {person} made tea." };
        foreach (WorldFact fact in known)
        {
            parts.Add(fact.Relation switch
            {
                "lives_in" => $"The streets of {fact.Value} were calm.",
                "works_as" => $"Later the work of a {fact.Value} was waiting.",
                "pet" => $"The {fact.Value} wanted food.",
                _ => $"A {fact.Value} scarf hung by the door.",
            });
        }
        return string.Join(" ", parts);
    }

    private static string Word(Random random, int syllables)
    {
        var word = new System.Text.StringBuilder();
        for (int i = 0; i < syllables; i++)
        {
            word.Append(Onsets[random.Next(Onsets.Length)]).Append(Vowels[random.Next(Vowels.Length)]);
        }
        word.Append(Codas[random.Next(Codas.Length)]);
        word[0] = char.ToUpperInvariant(word[0]);
        return word.ToString();
    }

    private static void Shuffle<T>(List<T> items, Random random)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
