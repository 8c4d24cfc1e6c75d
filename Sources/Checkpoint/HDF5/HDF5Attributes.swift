#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHDF5

/// Reading string attributes: root metadata, Keras `layer_names` / `weight_names` lists and the
/// `dtype` convention on datasets. Both HDF5 string forms are accepted: fixed-length (numpy `bytes`,
/// NULLTERM/NULLPAD/SPACEPAD), read in process (their bytes sit in the object header), and
/// variable-length (Python `str`), whose values come from the sandboxed pre-pass
/// (`HDF5PreflightStrings`): they live in the global heap, which libhdf5 1.10 reads without bounds
/// checks, so this process never dereferences them. Caller holds the `HDF5Library` lock.
enum HDF5Attributes {
    /// Largest attribute this reader loads (HDF5 keeps attributes in object headers of ≤ 64 KiB
    /// unless dense storage is used; anything far beyond that is not metadata).
    static let maxAttributeBytes = 16 << 20
    /// Most attributes inspected on one object and most parts of one split Keras attribute.
    static let maxAttributeCount = 1 << 16

    /// True when `object` has an attribute called `name`.
    static func exists(_ object: hid_t, _ name: String) throws -> Bool {
        try checkHDF5(H5Aexists(object, name), "cannot look up attribute '\(name)'") > 0
    }

    /// The elements of string attribute `name` on `object`; nil when the attribute is absent or is not
    /// a string. Throws on malformed or oversized attributes. `vlen` (also below): the pre-pass's
    /// values of variable-length string attributes.
    static func strings(_ object: hid_t, _ name: String, _ vlen: HDF5PreflightStrings) throws -> [String]? {
        guard try exists(object, name) else { return nil }
        let attribute = try HDF5Handle.check(H5Aopen(object, name, hdf5DefaultList), close: H5Aclose, "cannot open attribute '\(name)'")
        return try strings(of: attribute.id, on: object, name: name, vlen)
    }

    /// The strings of an attribute split by Keras into `name0`, `name1`, … when `name` itself is absent
    /// (done above `HDF5_OBJECT_HEADER_LIMIT`); nil when neither form exists.
    static func splitStrings(_ object: hid_t, _ name: String, _ vlen: HDF5PreflightStrings) throws -> [String]? {
        if let whole = try strings(object, name, vlen) { return whole }
        var parts: [String] = []
        var index = 0
        while index < maxAttributeCount, try exists(object, "\(name)\(index)") {
            guard let part = try strings(object, "\(name)\(index)", vlen) else {
                throw CheckpointError("attribute '\(name)\(index)' is not a string array")
            }
            parts += part
            index += 1
        }
        return index == 0 ? nil : parts
    }

    /// Every attribute of `object` that is a single string (scalar or one element), by name.
    /// Numeric attributes and string arrays are skipped.
    static func scalarStrings(_ object: hid_t, objectPath: String, _ vlen: HDF5PreflightStrings) throws -> [String: String] {
        var result: [String: String] = [:]
        for name in try attributeNames(object, objectPath: objectPath) {
            let attribute = try HDF5Handle.check(H5Aopen(object, name, hdf5DefaultList), close: H5Aclose, "cannot open attribute '\(name)'")
            if let values = try strings(of: attribute.id, on: object, name: name, vlen), values.count == 1 {
                result[name] = values[0]
            }
        }
        return result
    }

    private final class NameList {
        var names: [String] = []
        var overflowed = false
    }

    /// The attribute names of `object` in name order, in one libhdf5 pass (at most `maxAttributeCount`).
    private static func attributeNames(_ object: hid_t, objectPath: String) throws -> [String] {
        let list = NameList()
        var index: hsize_t = 0
        let status = withExtendedLifetime(list) {
            H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                guard let name, let context else { return -1 }
                let list = Unmanaged<NameList>.fromOpaque(context).takeUnretainedValue()
                guard list.names.count < HDF5Attributes.maxAttributeCount else { list.overflowed = true; return 1 }
                list.names.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(list).toOpaque())
        }
        guard status >= 0 else { throw HDF5Library.failure("cannot list the attributes of '\(objectPath)'") }
        guard !list.overflowed else { throw CheckpointError("more than \(maxAttributeCount) attributes on '\(objectPath)'") }
        return list.names
    }

    /// The elements of open attribute `name` of `object` ([] when it is empty, whatever its type), or
    /// nil when it does not hold strings.
    private static func strings(of attribute: hid_t, on object: hid_t, name: String, _ vlen: HDF5PreflightStrings) throws -> [String]? {
        let type = try HDF5Handle.check(H5Aget_type(attribute), close: H5Tclose, "cannot read the type of attribute '\(name)'")
        let space = try HDF5Handle.check(H5Aget_space(attribute), close: H5Sclose, "cannot read the shape of attribute '\(name)'")
        let points = try checkHDF5(H5Sget_simple_extent_npoints(space.id), "cannot count attribute '\(name)'")
        // An empty list: Keras writes `np.array([])` (float64) for a layer without weights.
        if points == 0 { return [] }
        guard H5Tget_class(type.id) == H5T_STRING else { return nil }
        guard points <= maxAttributeCount else {
            throw CheckpointError("attribute '\(name)' holds \(points) strings (limit \(maxAttributeCount))")
        }
        let count = Int(points)
        let variable = try checkHDF5(H5Tis_variable_str(type.id), "cannot inspect attribute '\(name)'") > 0
        return variable
            ? try variableLengthStrings(on: object, count: count, name: name, vlen)
            : try fixedLengthStrings(attribute, type: type.id, count: count, name: name)
    }

    private static func fixedLengthStrings(_ attribute: hid_t, type: hid_t, count: Int, name: String) throws -> [String] {
        let size = H5Tget_size(type)
        let (total, overflow) = count.multipliedReportingOverflow(by: size)
        guard size > 0, !overflow, total <= maxAttributeBytes else {
            throw CheckpointError("string attribute '\(name)' declares \(count) × \(size) bytes (limit \(maxAttributeBytes))")
        }
        var bytes = [UInt8](repeating: 0, count: total)  // [count × size] fixed-length string bytes
        try checkHDF5(H5Aread(attribute, type, &bytes), "cannot read attribute '\(name)'")
        let spacePadded = H5Tget_strpad(type) == H5T_STR_SPACEPAD
        return (0..<count).map { index in
            var element = bytes[(index * size)..<((index + 1) * size)]
            if let nul = element.firstIndex(of: 0) { element = element[..<nul] }
            if spacePadded { while element.last == 0x20 { element = element.dropLast() } }
            return String(decoding: element, as: UTF8.self)
        }
    }

    /// The pre-pass child's reading of variable-length string attribute `name` of `object` (never
    /// `H5Aread` here: see the type's comment).
    private static func variableLengthStrings(on object: hid_t, count: Int, name: String, _ vlen: HDF5PreflightStrings) throws -> [String] {
        var key: UInt64 = 0, attributeCount: UInt64 = 0
        var type: Int32 = 0
        try checkHDF5(shim_object_info(object, &key, &type, &attributeCount),
                      "cannot identify the object holding variable-length string attribute '\(name)'")
        switch vlen.value(object: key, attribute: name) {
        case .strings(let strings)?:
            guard strings.count == count else {
                throw CheckpointError("string attribute '\(name)' read as \(strings.count) strings by the pre-pass, \(count) here; refused")
            }
            return strings
        case .unreadable?:
            throw CheckpointError("cannot read variable-length string attribute '\(name)' (libhdf5 failed in the sandboxed pre-pass)")
        case .tooLarge?:
            throw CheckpointError("string attribute '\(name)' exceeds \(maxAttributeBytes) bytes or \(maxAttributeCount) strings")
        case nil:
            throw CheckpointError("variable-length string attribute '\(name)' was not read by the sandboxed pre-pass (\(vlen.missingReason)); refused")
        }
    }
}
