import FlowCore

/// Graph and report writers. Exporters write to `inout some TextOutputStream`; only the CLI touches files.
///
/// The flow-graph formats (DOT, GraphML, GEXF, Cytoscape JSON, Mermaid, CSV) arrive with tracing.
public enum FlowExport {
    /// Version of the export schema written into every file's metadata.
    public static let schemaVersion = 1
}
