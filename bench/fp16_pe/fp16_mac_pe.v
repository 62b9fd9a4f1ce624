// fp16_mac_pe: reference design for the FPGA area comparison (bench/, not part of the product).
//
// A straightforward FP16 dot-product PE with the same interface shape as the generated BFP8 PE:
// each beat brings LANES pairs of IEEE binary16 operands; the PE multiplies them, sums the
// products in a pipelined binary tree of floating-point adders and accumulates the beat sums in a
// floating-point accumulator, one beat per cycle; the last beat of a dot product (in_last_i)
// releases the sum as an IEEE binary32 word. This is the usual mixed-precision training MAC:
// FP16 multiplies, FP32 accumulation.
//
// Internal numbers are {sign, 8-bit biased exponent, 24-bit significand with its leading one},
// zero being all zeros. FP16 products are exact in this format (11 x 11 significand bits), and
// FP16 products and their sums can neither overflow nor underflow it. The adders align and
// truncate: they are exact whenever no set bit is shifted out during alignment (the testbench
// uses such operands) and round toward zero's neighbourhood otherwise.
//
// Simplifications that make this PE cheaper than an IEEE-conforming one (so the BFP8/FP16 area
// ratio it gives is conservative): FP16 subnormal inputs are flushed to zero, infinities and NaNs
// are treated as ordinary numbers, and the adders truncate instead of rounding to nearest even.
//
// Pipeline: products (1) -> log2(LANES) adder-tree levels -> accumulate. The whole pipeline
// holds while a result waits on out_ready_i. Plain Verilog-2005, lint-clean in Verilator -Wall,
// Icarus and Yosys.
`default_nettype none

module fp16_mac_pe #(
  // FP16 element pairs per beat: a power of two from 1 to 16.
  parameter integer LANES = 2
) (
  input  wire                clk_i,
  input  wire                rst_ni,       // asynchronous, active low
  // Beat in: LANES operand pairs.
  input  wire                in_valid_i,
  output wire                in_ready_o,
  input  wire [LANES*16-1:0] in_a_i,       // LANES x FP16, lane 0 in bits 15:0
  input  wire [LANES*16-1:0] in_b_i,       // LANES x FP16
  input  wire                in_last_i,    // last beat of the dot product
  // Result out.
  output wire                out_valid_o,
  input  wire                out_ready_i,
  output wire [31:0]         out_sum_o     // the dot product, IEEE binary32
);
  // Adder-tree levels.
  localparam integer LEVELS = $clog2(LANES);
  // Tree nodes: LANES products, then each level's sums; node n >= LANES adds nodes
  // 2(n - LANES) and 2(n - LANES) + 1, and node 2 LANES - 2 is the root.
  localparam integer NODES = 2 * LANES - 1;
  // Width of an internal number: sign, exponent, significand.
  localparam integer FW = 33;

  // Product of two FP16 numbers, exact, in the internal format (zero when either is zero or
  // subnormal).
  function [FW-1:0] fmul16;
    input [15:0] a;
    input [15:0] b;
    reg   [21:0] p;
    reg   [7:0]  e;
    begin
      p = {11'd0, 1'b1, a[9:0]} * {11'd0, 1'b1, b[9:0]};
      // Biased FP32 exponent: (ea - 15) + (eb - 15) + 127, plus one when p >= 2.
      e = {3'd0, a[14:10]} + {3'd0, b[14:10]} + 8'd97 + {7'd0, p[21]};
      if (a[14:10] == 5'd0 || b[14:10] == 5'd0) fmul16 = {FW{1'b0}};
      else if (p[21]) fmul16 = {a[15] ^ b[15], e, p[21:0], 2'b00};
      else fmul16 = {a[15] ^ b[15], e, p[20:0], 3'b000};
    end
  endfunction

  // Sum of two internal numbers: align the smaller magnitude to the larger (truncating), add or
  // subtract, renormalise.
  function [FW-1:0] fadd;
    input [FW-1:0] x;
    input [FW-1:0] y;
    reg   [FW-1:0] big;
    reg   [FW-1:0] sml;
    reg   [7:0]    d;
    reg   [23:0]   al;
    reg   [24:0]   s;
    reg   [4:0]    lz;
    reg            found;
    integer        i;
    begin
      if (y[31:0] > x[31:0]) begin
        big = y;
        sml = x;
      end else begin
        big = x;
        sml = y;
      end
      d  = big[31:24] - sml[31:24];
      al = sml[23:0] >> d;
      if (big[32] == sml[32]) s = {1'b0, big[23:0]} + {1'b0, al};
      else s = {1'b0, big[23:0]} - {1'b0, al};
      // Leading zeros of s[23:0] (a priority encoder: the highest set bit wins).
      lz    = 5'd0;
      found = 1'b0;
      for (i = 0; i < 24; i = i + 1) begin
        if (s[i]) begin
          lz    = 5'd23 - i[4:0];
          found = 1'b1;
        end
      end
      if (s[24]) fadd = {big[32], big[31:24] + 8'd1, s[24:1]};
      else if (!found) fadd = {FW{1'b0}};
      else fadd = {big[32], big[31:24] - {3'd0, lz}, s[23:0] << lz};
    end
  endfunction

  // ------------------------------------------------------------------ flow control
  reg  out_valid_q;
  wire stall = out_valid_q & ~out_ready_i;
  wire en    = ~stall;
  assign in_ready_o = en;

  // ------------------------------------------------------------------ products and adder tree
  reg [NODES*FW-1:0] node_q;
  reg [LEVELS:0]     vld_q;     // a beat's values are in tree level l
  reg [LEVELS:0]     last_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vld_q[0]  <= 1'b0;
      last_q[0] <= 1'b0;
    end else if (en) begin
      vld_q[0]  <= in_valid_i;
      last_q[0] <= in_last_i;
    end
  end

  genvar g;
  generate
    for (g = 0; g < LANES; g = g + 1) begin : g_mul
      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) node_q[g*FW +: FW] <= {FW{1'b0}};
        else if (en) node_q[g*FW +: FW] <= fmul16(in_a_i[g*16 +: 16], in_b_i[g*16 +: 16]);
      end
    end
    for (g = LANES; g < NODES; g = g + 1) begin : g_add
      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) node_q[g*FW +: FW] <= {FW{1'b0}};
        else if (en)
          node_q[g*FW +: FW] <= fadd(node_q[(2*(g-LANES))*FW +: FW],
                                     node_q[(2*(g-LANES)+1)*FW +: FW]);
      end
    end
    for (g = 1; g <= LEVELS; g = g + 1) begin : g_ctl
      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          vld_q[g]  <= 1'b0;
          last_q[g] <= 1'b0;
        end else if (en) begin
          vld_q[g]  <= vld_q[g-1];
          last_q[g] <= last_q[g-1];
        end
      end
    end
  endgenerate

  // ------------------------------------------------------------------ accumulate
  wire [FW-1:0] root     = node_q[(NODES-1)*FW +: FW];
  reg  [FW-1:0] acc_q;
  wire [FW-1:0] acc_next = fadd(acc_q, root);
  reg  [31:0]   out_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q       <= {FW{1'b0}};
      out_q       <= 32'd0;
      out_valid_q <= 1'b0;
    end else begin
      if (out_valid_q & out_ready_i) out_valid_q <= 1'b0;
      if (en & vld_q[LEVELS]) begin
        if (last_q[LEVELS]) begin
          out_q       <= {acc_next[32:24], acc_next[22:0]};
          out_valid_q <= 1'b1;
          acc_q       <= {FW{1'b0}};
        end else begin
          acc_q <= acc_next;
        end
      end
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_sum_o   = out_q;
endmodule

`default_nettype wire
