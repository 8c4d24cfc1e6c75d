import Kernels
import Models
import NameMaps
import XCTest

final class AutoencoderTests: XCTestCase {
    let small = VAEConfig(blockOutChannels: [4, 8], layersPerBlock: 1, inChannels: 3, outChannels: 3, latentChannels: 4)

    func testShapesForASmallerConfiguration() throws {
        let vae = try AutoencoderKL(weights: RandomWeights.vae(small), config: small, groups: 2)
        let image = FloatTensor(shape: [2, 3, 8, 12], values: (0..<576).map { Float($0 % 7) / 7 - 0.5 })
        let moments = try vae.encode(image)
        XCTAssertEqual(moments.shape, [2, 8, 4, 6])
        let z = try AutoencoderKL.sample(moments: moments, noise: FloatTensor(zeros: [2, 4, 4, 6]))
        XCTAssertEqual(z.values, Array(moments.values[0..<96]) + Array(moments.values[192..<288]), "zero noise gives the mean")
        XCTAssertEqual(try vae.decode(z).shape, [2, 3, 8, 12])
        XCTAssertEqual(AutoencoderKL.scalingFactor, 0.18215)
    }

    func testSampleClampsTheLogVariance() throws {
        // mean 1, logvar 100 (clamped to 20): 1 + exp(10) · noise.
        let moments = FloatTensor(shape: [1, 2, 1, 1], values: [1, 100])
        let z = try AutoencoderKL.sample(moments: moments, noise: FloatTensor(shape: [1, 1, 1, 1], values: [0.5]))
        XCTAssertEqual(Double(z.values[0]), 1 + exp(10.0) * 0.5, accuracy: 1e-2)
    }

    func testConfigurationErrors() throws {
        XCTAssertThrowsError(try AutoencoderKL(weights: RandomWeights.vae(small), config: small, groups: 32)) {
            XCTAssertTrue("\($0)".contains("not divisible into 32 groups"), "\($0)")
        }
        let vae = try AutoencoderKL(weights: RandomWeights.vae(small), config: small, groups: 4)
        XCTAssertThrowsError(try vae.encode(FloatTensor(zeros: [1, 3, 7, 8]))) { XCTAssertTrue("\($0)".contains("not a multiple of 2")) }
        XCTAssertThrowsError(try vae.decode(FloatTensor(zeros: [1, 3, 4, 4]))) { XCTAssertTrue("\($0)".contains("expected [N, 4, h, w]")) }
    }
}
