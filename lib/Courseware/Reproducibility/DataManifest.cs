using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Courseware.Notebooks;

namespace Courseware.Reproducibility;

/// <summary>One file of a dataset: path relative to the dataset root ('/'-separated), md5 of its bytes, size.</summary>
public sealed record DataFileEntry(string RelativePath, string Md5, long Size);

/// <summary>
/// Content hashes of a data file or folder, computed as DVC 3.x does: a file's hash is the md5 of its raw bytes
/// (DVC 3's "md5"; DVC 2's "md5-dos2unix" normalised CRLF in text files, which this does not); a folder's hash is the
/// md5 of its ".dir" listing — the JSON array of {"md5", "relpath"} objects sorted by relpath, serialised like Python's
/// <c>json.dumps(..., sort_keys=True)</c> — followed by ".dir" (dvc-data, hashfile/tree.py Tree.as_bytes and digest).
/// Empty folders are not part of the hash (DVC tracks files only).
/// </summary>
/// <example><code>var data = await DataManifest.CreateAsync("datasets/penguins"); data.Save("runs/7/data.json");</code></example>
[TypeFormatterSource(typeof(HtmlFormatterSource))]
public sealed class DataManifest
{
    private DataManifest(string root, bool isDirectory, IReadOnlyList<DataFileEntry> files)
    {
        Root = root;
        IsDirectory = isDirectory;
        Files = files;
        Md5 = isDirectory ? Hex(MD5.HashData(DirectoryListing(files))) + ".dir" : files[0].Md5;
    }

    /// <summary>Full path of the file or folder hashed.</summary>
    public string Root { get; }

    /// <summary>True for a folder.</summary>
    public bool IsDirectory { get; }

    /// <summary>Files, sorted by relative path (a single file has its own name).</summary>
    public IReadOnlyList<DataFileEntry> Files { get; }

    /// <summary>The DVC hash: a file's md5, or a folder's listing md5 with ".dir" appended.</summary>
    public string Md5 { get; }

    /// <summary>Total bytes.</summary>
    public long Size => Files.Sum(f => f.Size);

    /// <summary>Hashes a file or a folder (recursively; hidden files included, as DVC does without a .dvcignore).</summary>
    public static async Task<DataManifest> CreateAsync(string path, CancellationToken cancellationToken = default)
    {
        var root = Path.GetFullPath(path);
        if (File.Exists(root))
            return new DataManifest(root, false, [await HashFileAsync(root, Path.GetFileName(root), cancellationToken).ConfigureAwait(false)]);
        if (!Directory.Exists(root)) throw new FileNotFoundException($"No data file or folder at '{root}'.", root);
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }).ToList();
        var entries = new DataFileEntry[files.Count];
        // Files are hashed in parallel (as DVC does with its --jobs); the listing is sorted afterwards, so order does not matter.
        await Parallel.ForAsync(0, files.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount },
            async (i, ct) => entries[i] = await HashFileAsync(files[i], Path.GetRelativePath(root, files[i]).Replace(Path.DirectorySeparatorChar, '/'), ct).ConfigureAwait(false))
            .ConfigureAwait(false);
        Array.Sort(entries, (a, b) => CodePointComparer.Instance.Compare(a.RelativePath, b.RelativePath));
        return new DataManifest(root, true, entries);
    }

    /// <summary>Hashes the data again and lists exactly what was added, removed or changed since this manifest was made.</summary>
    /// <param name="path">Where the data is now (default: where it was).</param>
    /// <param name="cancellationToken">Stops the hashing.</param>
    public async Task<DataVerification> VerifyAsync(string? path = null, CancellationToken cancellationToken = default)
    {
        var target = Path.GetFullPath(path ?? Root);
        if (!File.Exists(target) && !Directory.Exists(target))
            return new DataVerification(this, null, [], Files.Select(f => f.RelativePath).ToList(), []);
        var now = await CreateAsync(target, cancellationToken).ConfigureAwait(false);
        var before = Files.ToDictionary(f => f.RelativePath, StringComparer.Ordinal);
        var after = now.Files.ToDictionary(f => f.RelativePath, StringComparer.Ordinal);
        var added = after.Keys.Where(k => !before.ContainsKey(k)).ToList();
        var removed = before.Keys.Where(k => !after.ContainsKey(k)).ToList();
        var changed = before.Values.Where(f => after.TryGetValue(f.RelativePath, out var g) && g.Md5 != f.Md5)
            .Select(f => new DataFileChange(f.RelativePath, f.Md5, after[f.RelativePath].Md5)).ToList();
        return new DataVerification(this, now, added, removed, changed);
    }

    /// <summary>DVC's ".dir" listing bytes: what the folder hash is the md5 of.</summary>
    public static byte[] DirectoryListing(IEnumerable<DataFileEntry> files)
    {
        var sb = new StringBuilder("[");
        var first = true;
        foreach (var f in files.OrderBy(f => f.RelativePath, CodePointComparer.Instance))
        {
            if (!first) sb.Append(", ");
            first = false;
            sb.Append("{\"md5\": ");
            PythonJson.AppendString(sb, f.Md5);
            sb.Append(", \"relpath\": ");
            PythonJson.AppendString(sb, f.RelativePath);
            sb.Append('}');
        }
        return Encoding.UTF8.GetBytes(sb.Append(']').ToString());
    }

    /// <summary>The content of a DVC 3 <c>.dvc</c> file tracking this data (path relative to <paramref name="dvcFileFolder"/>).</summary>
    public string ToDvcFile(string dvcFileFolder)
    {
        var rel = Path.GetRelativePath(Path.GetFullPath(dvcFileFolder), Root).Replace(Path.DirectorySeparatorChar, '/');
        var sb = new StringBuilder("outs:\n");
        sb.Append("- md5: ").Append(Md5).Append('\n');
        sb.Append("  size: ").Append(Size.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (IsDirectory) sb.Append("  nfiles: ").Append(Files.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("  hash: md5\n");
        sb.Append("  path: ");
        PythonJson.AppendString(sb, rel); // a JSON string is a valid YAML double-quoted scalar
        return sb.Append('\n').ToString();
    }

    /// <summary>Run parameters for a tracking store: data.&lt;name&gt;.md5, .files and .bytes.</summary>
    public IReadOnlyDictionary<string, string> ToParameters(string name) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [$"data.{name}.md5"] = Md5,
        [$"data.{name}.files"] = Files.Count.ToString(CultureInfo.InvariantCulture),
        [$"data.{name}.bytes"] = Size.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>JSON with the root, hash and every file's entry.</summary>
    public string ToJson()
    {
        var files = new JsonArray(Files.Select(f => (JsonNode)new JsonObject { ["relpath"] = f.RelativePath, ["md5"] = f.Md5, ["size"] = f.Size }).ToArray());
        var obj = new JsonObject
        {
            ["format"] = "dvc-3 md5",
            ["path"] = Root,
            ["type"] = IsDirectory ? "directory" : "file",
            ["md5"] = Md5,
            ["size"] = Size,
            ["nfiles"] = Files.Count,
            ["files"] = files,
        };
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Reads <see cref="ToJson"/>'s output; the hash is recomputed from the entries and must match.</summary>
    public static DataManifest FromJson(string json, string source = "manifest")
    {
        var obj = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException($"{source}: expected a JSON object.");
        string Field(JsonNode? node, string name) => node?[name]?.GetValue<string>() ?? throw new FormatException($"{source}: missing '{name}'.");
        var files = (obj["files"]?.AsArray() ?? throw new FormatException($"{source}: missing 'files'."))
            .Select(f => new DataFileEntry(Field(f, "relpath"), Field(f, "md5"), f!["size"]?.GetValue<long>() ?? throw new FormatException($"{source}: a file lacks 'size'."))).ToList();
        var isDirectory = Field(obj, "type") == "directory";
        if (!isDirectory && files.Count != 1) throw new FormatException($"{source}: a file manifest must list exactly one file.");
        var manifest = new DataManifest(Field(obj, "path"), isDirectory, files);
        if (manifest.Md5 != Field(obj, "md5")) throw new FormatException($"{source}: the entries hash to {manifest.Md5}, not the recorded {Field(obj, "md5")}: the manifest was edited.");
        return manifest;
    }

    /// <summary>Writes the JSON atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>Loads a saved manifest.</summary>
    public static async Task<DataManifest> LoadAsync(string path, CancellationToken cancellationToken = default) =>
        FromJson(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), path);

    private static async Task<DataFileEntry> HashFileAsync(string file, string relativePath, CancellationToken cancellationToken)
    {
        // Large sequential reads into one pooled 1 MiB buffer: md5 is the bottleneck, not the I/O calls.
        using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long offset = 0;
            int read;
            while ((read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, 1 << 20), offset, cancellationToken).ConfigureAwait(false)) > 0)
            {
                md5.AppendData(buffer, 0, read);
                offset += read;
            }
            return new DataFileEntry(relativePath, Hex(md5.GetHashAndReset()), offset);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    /// <inheritdoc />
    public override string ToString() => $"{Root}: {Md5} ({Files.Count} file(s), {Size} bytes)";
}

/// <summary>A file whose content changed.</summary>
public sealed record DataFileChange(string RelativePath, string Md5Before, string Md5Now);

/// <summary>The data now compared with a manifest.</summary>
/// <param name="Expected">The manifest.</param>
/// <param name="Actual">The data as hashed now (null when it is gone).</param>
/// <param name="Added">Files that appeared.</param>
/// <param name="Removed">Files that disappeared.</param>
/// <param name="Changed">Files whose content changed.</param>
public sealed record DataVerification(DataManifest Expected, DataManifest? Actual, IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<DataFileChange> Changed)
{
    /// <summary>True when the data on disk is the data of the manifest.</summary>
    public bool Matches => Actual is not null && Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0;

    /// <inheritdoc />
    public override string ToString()
    {
        if (Matches) return $"{Expected.Root}: unchanged ({Expected.Md5}).";
        if (Actual is null) return $"{Expected.Root}: missing.";
        var parts = new List<string>();
        if (Changed.Count > 0) parts.Add("changed: " + string.Join(", ", Changed.Select(c => c.RelativePath)));
        if (Added.Count > 0) parts.Add("added: " + string.Join(", ", Added));
        if (Removed.Count > 0) parts.Add("removed: " + string.Join(", ", Removed));
        return $"{Expected.Root}: {Expected.Md5} → {Actual.Md5}; {string.Join("; ", parts)}.";
    }
}

/// <summary>Python's string order (by code point), which DVC sorts relpaths by; differs from UTF-16 order above U+FFFF.</summary>
internal sealed class CodePointComparer : IComparer<string>
{
    public static CodePointComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return x is null ? (y is null ? 0 : -1) : 1;
        var a = x.EnumerateRunes();
        var b = y.EnumerateRunes();
        while (true)
        {
            var hasA = a.MoveNext();
            var hasB = b.MoveNext();
            if (!hasA || !hasB) return hasA ? 1 : hasB ? -1 : 0;
            var c = a.Current.Value.CompareTo(b.Current.Value);
            if (c != 0) return c;
        }
    }
}

/// <summary>Strings written exactly as Python's json.dumps writes them (ensure_ascii=True).</summary>
internal static class PythonJson
{
    public static void AppendString(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (var ch in value)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    // Python escapes everything outside printable ASCII, surrogate pairs as two \u escapes (as UTF-16 stores them).
                    if (ch < ' ' || ch > '~') sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(ch);
                    break;
            }
        }
        sb.Append('"');
    }
}
