#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHDF5

/// Lists the datasets below a group, checking every link on the way.
///
/// - Order: depth first; inside each group, link creation order when the group tracks it (h5py
///   `track_order=True`), else libhdf5's name order (byte-wise), the orders h5py iterates in.
/// - Hard links are followed. Soft links (same file) are resolved, so a soft link to a dataset lists
///   it under the link's own name too. A group reached a second time, through a hard or soft link that
///   points back up (a cycle) or sideways (an alias), is refused, which bounds the walk.
/// - External links and user-defined links are refused (they reference other files); so are link
///   names that are empty or `.`. Named datatypes are skipped; they hold no data.
/// - Limits: depth ≤ 64 groups, ≤ 1,048,576 links in all.
///
/// Caller holds the `HDF5Library` lock.
struct HDF5Walk {
    static let maxDepth = 64
    static let maxLinks = 1 << 20

    private let file: HDF5OpenFile
    private var visitedGroups: Set<UInt64> = []
    private var linksSeen = 0
    /// Relative paths (`encoder/layer0/weight`) of the datasets found, in order.
    private(set) var datasets: [String] = []

    /// Walks the group at absolute path `root` (`/` or e.g. `/model_weights`).
    static func datasets(in file: HDF5OpenFile, under root: String) throws -> [String] {
        var walk = HDF5Walk(file: file)
        let group = try HDF5Handle.check(H5Gopen2(file.file.id, root, hdf5DefaultList), close: H5Gclose, "cannot open group '\(root)'")
        let key = try objectIdentity(group.id, path: root).key
        walk.visitedGroups.insert(key)
        try walk.visit(group: group.id, prefix: "", depth: 0)
        return walk.datasets
    }

    private mutating func visit(group: hid_t, prefix: String, depth: Int) throws {
        guard depth < HDF5Walk.maxDepth else {
            throw CheckpointError("groups nested deeper than \(HDF5Walk.maxDepth) levels at '\(prefix)'")
        }
        var info = H5G_info_t()
        try checkHDF5(H5Gget_info(group, &info), "cannot read group '\(prefix.isEmpty ? "/" : prefix)'")
        let (total, overflow) = linksSeen.addingReportingOverflow(Int(clamping: info.nlinks))
        guard !overflow, total <= HDF5Walk.maxLinks else {
            throw CheckpointError("more than \(HDF5Walk.maxLinks) links in the file")
        }
        linksSeen = total
        let order = try HDF5Walk.iterationOrder(group)
        for link in try HDF5Walk.links(of: group, order: order, limit: Int(clamping: info.nlinks), prefix: prefix) {
            let name = String(decoding: link.name, as: UTF8.self)
            let path = prefix + name
            guard !link.name.isEmpty, name != ".", !link.name.contains(0x2F) else {
                throw CheckpointError("link name '\(name)' in '\(prefix.isEmpty ? "/" : prefix)' is not a plain name")
            }
            switch link.type {
            case Int32(H5L_TYPE_HARD.rawValue), Int32(H5L_TYPE_SOFT.rawValue):
                break
            case Int32(H5L_TYPE_EXTERNAL.rawValue):
                throw CheckpointError("external link '\(path)' points into another file; refused", tensor: path)
            default:
                throw CheckpointError("user-defined link type \(link.type) at '\(path)'; refused", tensor: path)
            }
            let isSoft = link.type == Int32(H5L_TYPE_SOFT.rawValue)
            let objectID = H5Oopen(group, name, file.linkAccess.id)
            guard objectID >= 0 else {
                if isSoft { throw CheckpointError("soft link '\(path)' is dangling (target '\(softLinkTarget(group, name: name))' does not resolve)", tensor: path) }
                throw HDF5Library.failure("cannot open object '\(path)'", tensor: path)
            }
            let object = try HDF5Handle.check(objectID, close: H5Oclose, "cannot open object '\(path)'")
            let identity = try HDF5Walk.objectIdentity(object.id, path: path)
            switch identity.type {
            case Int32(H5O_TYPE_GROUP.rawValue):
                guard visitedGroups.insert(identity.key).inserted else {
                    throw CheckpointError("\(isSoft ? "soft" : "hard") link '\(path)' leads to a group already visited (a link cycle or an aliased group); refused", tensor: path)
                }
                try visit(group: object.id, prefix: path + "/", depth: depth + 1)
            case Int32(H5O_TYPE_DATASET.rawValue):
                datasets.append(path)
            case Int32(H5O_TYPE_NAMED_DATATYPE.rawValue):
                continue
            default:
                throw CheckpointError("object '\(path)' of unknown kind \(identity.type)", tensor: path)
            }
        }
    }

    /// Creation order when the group tracks it, else name order.
    private static func iterationOrder(_ group: hid_t) throws -> H5_index_t {
        let plist = try HDF5Handle.check(H5Gget_create_plist(group), close: H5Pclose, "cannot read a group's creation properties")
        var flags: UInt32 = 0
        try checkHDF5(H5Pget_link_creation_order(plist.id, &flags), "cannot read a group's link order")
        return flags & UInt32(H5P_CRT_ORDER_TRACKED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME
    }

    /// Links of `group` collected in one libhdf5 iteration: raw name bytes and link type.
    private final class LinkList {
        var links: [(name: [UInt8], type: Int32)] = []
        let limit: Int
        var overflowed = false
        init(limit: Int) { self.limit = limit }
    }

    private static func links(of group: hid_t, order: H5_index_t, limit: Int, prefix: String) throws -> [(name: [UInt8], type: Int32)] {
        let list = LinkList(limit: limit)
        let status = withExtendedLifetime(list) {
            shim_iterate_links(group, order, { name, type, context in
                guard let name, let context else { return -1 }
                let list = Unmanaged<LinkList>.fromOpaque(context).takeUnretainedValue()
                guard list.links.count < list.limit else { list.overflowed = true; return 1 }
                let length = strnlen(name, 65_537)
                guard length <= 65_536 else { return -1 }
                list.links.append((Array(UnsafeRawBufferPointer(start: name, count: length)), type))
                return 0
            }, Unmanaged.passUnretained(list).toOpaque())
        }
        let where_ = prefix.isEmpty ? "/" : prefix
        guard status >= 0 else { throw HDF5Library.failure("cannot list the links of '\(where_)'") }
        guard !list.overflowed else { throw CheckpointError("group '\(where_)' holds more links than it declares") }
        return list.links
    }

    private func softLinkTarget(_ group: hid_t, name: String) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)  // [1024] link value bytes (truncated target path)
        guard H5Lget_val(group, name, &buffer, buffer.count - 1, file.linkAccess.id) >= 0 else { return "?" }
        return String(cString: buffer)
    }

    /// The object's identity within the file (its header address) and kind.
    static func objectIdentity(_ object: hid_t, path: String) throws -> (key: UInt64, type: Int32) {
        var key: UInt64 = 0, attributes: UInt64 = 0
        var type: Int32 = 0
        try checkHDF5(shim_object_info(object, &key, &type, &attributes), "cannot read the header of '\(path)'")
        return (key, type)
    }
}
