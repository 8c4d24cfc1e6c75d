import NameMaps

/// Multiply-adds ×2 of one DiT forward per sample: the GEMMs plus attention scores and values.
func ditForwardFLOP(_ c: DiTConfig) -> Double {
    let d = Double(c.hiddenSize), t = Double(c.tokens), p2 = Double(c.patchSize * c.patchSize)
    let perBlock = t * 12 * d * d + 6 * d * d + 2 * t * t * d
    let embed = t * d * Double(c.inChannels) * p2 + 256 * d + d * d
    let final = 2 * d * d + t * d * p2 * Double(c.outChannels)
    return 2 * (Double(c.depth) * perBlock + embed + final)
}

/// FLOP of `post_quant_conv` + the decoder for `latent`×`latent` latents (convolutions and attention).
func decoderFLOP(_ c: VAEConfig, latent: Int) -> Double {
    var macs = 0.0
    func conv(_ cin: Int, _ cout: Int, _ k: Int, _ side: Int) { macs += Double(cin * cout * k * k * side * side) }
    func resnet(_ cin: Int, _ cout: Int, _ side: Int) {
        conv(cin, cout, 3, side)
        conv(cout, cout, 3, side)
        if cin != cout { conv(cin, cout, 1, side) }
    }
    let channels = c.blockOutChannels, top = channels.last!
    var side = latent
    conv(c.latentChannels, c.latentChannels, 1, side)
    conv(c.latentChannels, top, 3, side)
    resnet(top, top, side)
    macs += Double(4 * top * top * side * side + 2 * side * side * side * side * top)  // q, k, v, out + scores, values
    resnet(top, top, side)
    var previous = top
    for (level, width) in channels.reversed().enumerated() {
        for j in 0...c.layersPerBlock { resnet(j == 0 ? previous : width, width, side) }
        if level < channels.count - 1 {
            side *= 2
            conv(width, width, 3, side)
        }
        previous = width
    }
    conv(channels[0], c.outChannels, 3, side)
    return 2 * macs
}
