/// A binary min-heap (the traversals' event queues).
struct BinaryHeap<Element: Comparable> {
    private(set) var storage: [Element] = []

    var isEmpty: Bool { storage.isEmpty }
    var count: Int { storage.count }

    /// - Complexity: O(log n).
    mutating func insert(_ e: Element) {
        storage.append(e)
        var i = storage.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if storage[i] < storage[parent] { storage.swapAt(i, parent); i = parent } else { break }
        }
    }

    /// - Complexity: O(log n).
    mutating func popMin() -> Element? {
        guard !storage.isEmpty else { return nil }
        storage.swapAt(0, storage.count - 1)
        let top = storage.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < storage.count && storage[l] < storage[m] { m = l }
            if r < storage.count && storage[r] < storage[m] { m = r }
            if m == i { break }
            storage.swapAt(i, m); i = m
        }
        return top
    }
}
