/// Where each part of the screen goes at a given size (rows are 0-based).
public struct Layout: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Row 0: the queue bar. Then the list, a separator and the detail pane.
    public var listTop: Int { 1 }
    public var listHeight: Int
    public var separatorRow: Int { listTop + listHeight }
    public var detailTop: Int { separatorRow + 1 }
    public var detailHeight: Int { statusRow - detailTop }
    public var statusRow: Int { height - 2 }
    public var messageRow: Int { height - 1 }

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        let available = max(0, height - 4)  // bar, separator, status, message
        listHeight = max(3, available * 2 / 5)
    }
}
