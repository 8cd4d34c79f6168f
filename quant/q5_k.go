package quant

// QuantizeQ5_K encodes src into Q5_K blocks. Stub: being written.
func QuantizeQ5_K(dst []byte, src []float32) { panic("not implemented") }

// DequantizeQ5_K decodes Q5_K blocks. Stub: being written.
func DequantizeQ5_K(dst []float32, src []byte) { panic("not implemented") }
