using System.Text.Json.Serialization;
using Haven.Core.Snapshots;

namespace Haven.Core.Repository;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LockHolder))]
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(Manifest))]
internal sealed partial class RepositoryJson : JsonSerializerContext;
