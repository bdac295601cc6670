using System.Text;
using Courseware.Reproducibility;

namespace Courseware.Tests.Reproducibility;

public class DataManifestTests
{
    // Expected values printed by reference/dvc_hash.py (Python hashlib + json.dumps, as dvc-data 3.x computes them).
    private const string DirHash = "55ee55a3bab4f6a4d70ff4d7fc5b0cde.dir";
    private const string Listing = """[{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "Z.txt"}, {"md5": "344fd2323dd33d5c058b7cf27de029e8", "relpath": "a.csv"}, {"md5": "88df14e6957d2adb8ae54d0269f546ab", "relpath": "donn\u00e9es/\u00e9.csv"}, {"md5": "7ac062d8a84466e70d9b899c0821a51c", "relpath": "sub/b.txt"}, {"md5": "e2c865db4162bed963bfaa9ef6ac18f0", "relpath": "sub/c d.bin"}]""";

    private static TempFolder Dataset()
    {
        var t = new TempFolder();
        t.Write("data/a.csv", "x,y\n1,2\n");
        t.Write("data/sub/b.txt", "hello\r\nworld\r\n");
        t.Write("data/données/é.csv", "é\n");
        t.Write("data/Z.txt", "");
        t.Write("data/sub/c d.bin", Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        Directory.CreateDirectory(Path.Combine(t.Path, "data", "empty"));
        return t;
    }

    [Fact]
    public async Task Folder_hash_matches_dvc()
    {
        using var t = Dataset();
        var m = await DataManifest.CreateAsync(Path.Combine(t.Path, "data"));
        Assert.Equal(DirHash, m.Md5);
        Assert.Equal(Listing, Encoding.UTF8.GetString(DataManifest.DirectoryListing(m.Files)));
        Assert.Equal(["Z.txt", "a.csv", "données/é.csv", "sub/b.txt", "sub/c d.bin"], m.Files.Select(f => f.RelativePath));
        Assert.Equal("7ac062d8a84466e70d9b899c0821a51c", m.Files[3].Md5); // raw bytes: the CRLFs are hashed as they are
        Assert.Equal(8 + 14 + 3 + 0 + 256, m.Size);
    }

    [Fact]
    public async Task File_hash_is_md5_of_content_and_dvc_file_is_written()
    {
        using var t = Dataset();
        var m = await DataManifest.CreateAsync(Path.Combine(t.Path, "data", "a.csv"));
        Assert.False(m.IsDirectory);
        Assert.Equal("344fd2323dd33d5c058b7cf27de029e8", m.Md5);
        var dir = await DataManifest.CreateAsync(Path.Combine(t.Path, "data"));
        Assert.Equal($"outs:\n- md5: {DirHash}\n  size: 281\n  nfiles: 5\n  hash: md5\n  path: \"data\"\n", dir.ToDvcFile(t.Path));
        Assert.Equal(DirHash, dir.ToParameters("train")["data.train.md5"]);
    }

    [Fact]
    public async Task Verify_names_exactly_the_added_removed_and_changed_files()
    {
        using var t = Dataset();
        var root = Path.Combine(t.Path, "data");
        var m = await DataManifest.CreateAsync(root);
        Assert.True((await m.VerifyAsync()).Matches);

        t.Write("data/a.csv", "x,y\n1,3\n");     // a file changed after training
        t.Write("data/new.csv", "1\n");
        File.Delete(Path.Combine(root, "Z.txt"));
        var v = await m.VerifyAsync();
        Assert.False(v.Matches);
        var change = Assert.Single(v.Changed);
        Assert.Equal("a.csv", change.RelativePath);
        Assert.Equal("344fd2323dd33d5c058b7cf27de029e8", change.Md5Before);
        Assert.Equal(["new.csv"], v.Added);
        Assert.Equal(["Z.txt"], v.Removed);
        Assert.Contains("changed: a.csv", v.ToString());
    }

    [Fact]
    public async Task Saved_manifest_round_trips_and_detects_editing()
    {
        using var t = Dataset();
        var m = await DataManifest.CreateAsync(Path.Combine(t.Path, "data"));
        var file = Path.Combine(t.Path, "manifest.json");
        m.Save(file);
        var back = await DataManifest.LoadAsync(file);
        Assert.Equal(m.Md5, back.Md5);
        Assert.True((await back.VerifyAsync()).Matches);
        File.WriteAllText(file, File.ReadAllText(file).Replace("344fd2323dd33d5c058b7cf27de029e8", "00000000000000000000000000000000"));
        var e = await Assert.ThrowsAsync<FormatException>(() => DataManifest.LoadAsync(file));
        Assert.Contains("manifest.json", e.Message);
    }

    [Fact]
    public async Task Missing_data_is_reported_not_thrown()
    {
        using var t = Dataset();
        var m = await DataManifest.CreateAsync(Path.Combine(t.Path, "data"));
        Directory.Delete(Path.Combine(t.Path, "data"), true);
        var v = await m.VerifyAsync();
        Assert.False(v.Matches);
        Assert.Equal(5, v.Removed.Count);
        await Assert.ThrowsAsync<FileNotFoundException>(() => DataManifest.CreateAsync(Path.Combine(t.Path, "nothing")));
    }
}
