#if canImport(Glibc)
import Glibc
#endif

/// torchvision's `ImageFolder` listing: classes are the sub-folders of `root` sorted by name, label = index
/// in that order; each class folder is walked recursively (symbolic links followed) with the folders in
/// sorted-path order (`sorted(os.walk(...))`) and the files of each folder sorted by name; a file belongs to
/// the dataset when its name ends, case-insensitively, in one of torchvision's image extensions. Sorting is
/// by code point (= UTF-8 byte order), as Python sorts strings.
public struct ImageFolder {
    /// torchvision's `IMG_EXTENSIONS`.
    public static let extensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"]

    public let root: String
    /// Class folder names, sorted; a label is an index into this list.
    public let classes: [String]
    /// Every image in dataset order.
    public let samples: [DatasetSample]

    public init(root: String) throws {
        self.root = root
        let entries = try ImageFolder.entries(of: root)
        let classes = entries.filter { ImageFolder.isDirectory(root + "/" + $0) }.sorted(by: ImageFolder.byteOrder)
        guard !classes.isEmpty else { throw DatasetError("no class folder found (ImageFolder expects root/<class>/<image>)", file: root) }
        var samples: [DatasetSample] = []
        var empty: [String] = []
        for (label, name) in classes.enumerated() {
            var folders: [String] = []
            try ImageFolder.walk(root + "/" + name, into: &folders)
            let before = samples.count
            for folder in folders.sorted(by: ImageFolder.byteOrder) {
                for file in try ImageFolder.entries(of: folder).sorted(by: ImageFolder.byteOrder)
                where ImageFolder.hasImageExtension(file) && !ImageFolder.isDirectory(folder + "/" + file) {
                    samples.append(DatasetSample(path: folder + "/" + file, label: label))
                }
            }
            if samples.count == before { empty.append(name) }
        }
        guard empty.isEmpty else {
            throw DatasetError("no image file in the class folder(s) \(empty.joined(separator: ", ")) "
                               + "(extensions: \(ImageFolder.extensions.joined(separator: " ")), any case)", file: root)
        }
        self.classes = classes
        self.samples = samples
    }

    public static func hasImageExtension(_ name: String) -> Bool {
        let lower = name.lowercased()
        return extensions.contains { lower.hasSuffix($0) }
    }

    static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// `path` and every folder below it.
    static func walk(_ path: String, into folders: inout [String]) throws {
        folders.append(path)
        for entry in try entries(of: path) where isDirectory(path + "/" + entry) {
            try walk(path + "/" + entry, into: &folders)
        }
    }

    static func entries(of path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw DatasetError("cannot list the folder: \(String(cString: strerror(errno)))", file: path)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
