import FlowCore
import Foundation

/// Reads labels from CSV with header-named columns `address,category,name,source` and optional `confidence`
/// (an integer 0–100). Categories are normalised to FlowTrace's vocabulary and the original is kept.
public enum LabelsCSV {
    public static let requiredColumns = ["address", "category", "name", "source"]

    /// Every label of the file.
    /// - Throws: ``IngestError`` naming the file and line for a missing column, an empty field or a bad confidence.
    public static func read(path: String) throws -> [Label] {
        var csv = try CSVReader(path: path)
        let columns = try csv.readHeader(required: requiredColumns)
        var labels: [Label] = []
        while let row = try csv.next() {
            let line = csv.recordLine
            func field(_ name: String) -> String? {
                guard let i = columns[name], i < row.count else { return nil }
                let v = row[i].asciiTrimmed
                return v.isEmpty ? nil : v
            }
            func required(_ name: String) throws -> String {
                guard let v = field(name) else { throw IngestError(.corrupt, "empty or missing '\(name)'", path: path, line: line) }
                return v
            }
            var confidence: Int?
            if let c = field("confidence") {
                guard let v = Int(c), (0...100).contains(v) else {
                    throw IngestError(.corrupt, "confidence '\(c)' is not an integer 0–100", path: path, line: line)
                }
                confidence = v
            }
            let category = try required("category")
            labels.append(Label(address: AccountTransfer.normalizedAddress(try required("address")[...]),
                                category: LabelCategory.normalize(category), name: try required("name"),
                                source: try required("source"), confidence: confidence, originalCategory: category))
        }
        return labels
    }
}
