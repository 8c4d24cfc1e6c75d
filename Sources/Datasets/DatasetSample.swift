/// One image of a dataset, in dataset order.
public struct DatasetSample: Equatable, Sendable {
    /// Path of the image file (as given: relative paths stay relative to the working directory).
    public var path: String
    /// Class label (ImageFolder: index of the class folder in sorted order; CSV: the `class` column).
    public var label: Int
    /// The CSV `caption`, if the layout has one.
    public var caption: String?
    /// Where the sample was declared, for messages (e.g. `image_caption.csv line 3`), if not the file itself.
    public var origin: String?

    public init(path: String, label: Int, caption: String? = nil, origin: String? = nil) {
        self.path = path
        self.label = label
        self.caption = caption
        self.origin = origin
    }
}

/// The two dataset layouts users have.
public enum DatasetLayout: Sendable {
    /// `root/<class>/<file>`, torchvision `ImageFolder` (`imagenet_format: True`).
    case imageFolder
    /// `data_path/image_caption.csv` with columns `image,caption,class` (MindONE's toy format).
    case mindoneCSV

    /// The samples of the dataset at `root`, in dataset order. Empty datasets are an error.
    public func samples(root: String) throws -> [DatasetSample] {
        switch self {
        case .imageFolder: return try ImageFolder(root: root).samples
        case .mindoneCSV: return try MindONECSV(root: root).samples
        }
    }
}
