/**
 * A stand-in for the processor's top level, for testing the host runtime and tb_top.sv.hbs before
 * (and independently of) the real sequencer: the generated register file and the two DMA
 * engines, with the top's exact ports. CMD.START copies JOB_B_BYTES bytes from JOB_ADDR_B to
 * JOB_ADDR_OUT (read engine straight into the write engine), then sets JOB_OUT_BYTES,
 * PERF_BYTES_RD/WR, PERF_CYCLES and IRQ_STATUS.DONE; STATUS.BUSY is set while it runs.
 */
import type { Design } from "../../generator/elab/elaborate.ts";

export function stubTop(design: Design, module = "stub_top"): string {
  const d = design.desc;
  const p = design.regfile;
  const name = d.name;
  const AW = d.dma.addrWidth;
  const DW = d.dma.dataWidth;
  const NB = DW / 8;
  const port = (n: string): string => {
    const r = p.regs.find((x) => x.name === n);
    if (r === undefined) throw new Error(`no register ${n}`);
    return r.port;
  };
  const conns: string[] = [];
  const decls: string[] = [];
  for (const r of p.regs) {
    if (r.isRw || r.isW1p) {
      decls.push(`  wire [31:0] ${r.port}_o;`);
      conns.push(`    .${r.port}_o(${r.port}_o),`);
    }
    if (r.isRo) {
      decls.push(`  reg  [31:0] ${r.port}_q;`);
      conns.push(`    .${r.port}_i(${r.port}_q),`);
    }
    if (r.isW1c) {
      decls.push(`  reg  [31:0] ${r.port}_set;`, `  wire [31:0] ${r.port}_o;`);
      conns.push(`    .${r.port}_set_i(${r.port}_set),`, `    .${r.port}_o(${r.port}_o),`);
    }
  }
  const ros = p.regs.filter((r) => r.isRo).map((r) => r.port);
  const hi = (n: string): string =>
    p.regs.some((r) => r.name === `${n}_HI`) ? `${port(`${n}_HI`)}_o[${AW - 33}:0], ` : "";
  const addr = (n: string): string =>
    AW > 32 ? `{${hi(n)}${port(`${n}_LO`)}_o}` : `${port(`${n}_LO`)}_o[${AW - 1}:0]`;
  return `// ${module}: test stand-in for ${name}_top (register file + DMA copy of B to OUT)
\`timescale 1ns/1ps
\`default_nettype none
module ${module} (
  input  wire clk_i,
  input  wire rst_ni,
  input  wire [${p.addrWidth}-1:0] s_axil_awaddr_i,
  input  wire        s_axil_awvalid_i,
  output wire        s_axil_awready_o,
  input  wire [31:0] s_axil_wdata_i,
  input  wire [3:0]  s_axil_wstrb_i,
  input  wire        s_axil_wvalid_i,
  output wire        s_axil_wready_o,
  output wire [1:0]  s_axil_bresp_o,
  output wire        s_axil_bvalid_o,
  input  wire        s_axil_bready_i,
  input  wire [${p.addrWidth}-1:0] s_axil_araddr_i,
  input  wire        s_axil_arvalid_i,
  output wire        s_axil_arready_o,
  output wire [31:0] s_axil_rdata_o,
  output wire [1:0]  s_axil_rresp_o,
  output wire        s_axil_rvalid_o,
  input  wire        s_axil_rready_i,
  output wire [0:0]  m_axi_arid_o,
  output wire [${AW}-1:0] m_axi_araddr_o,
  output wire [7:0]  m_axi_arlen_o,
  output wire [2:0]  m_axi_arsize_o,
  output wire [1:0]  m_axi_arburst_o,
  output wire [3:0]  m_axi_arcache_o,
  output wire [2:0]  m_axi_arprot_o,
  output wire        m_axi_arvalid_o,
  input  wire        m_axi_arready_i,
  input  wire [${DW}-1:0] m_axi_rdata_i,
  input  wire [1:0]  m_axi_rresp_i,
  input  wire        m_axi_rlast_i,
  input  wire        m_axi_rvalid_i,
  output wire        m_axi_rready_o,
  output wire [0:0]  m_axi_awid_o,
  output wire [${AW}-1:0] m_axi_awaddr_o,
  output wire [7:0]  m_axi_awlen_o,
  output wire [2:0]  m_axi_awsize_o,
  output wire [1:0]  m_axi_awburst_o,
  output wire [3:0]  m_axi_awcache_o,
  output wire [2:0]  m_axi_awprot_o,
  output wire        m_axi_awvalid_o,
  input  wire        m_axi_awready_i,
  output wire [${DW}-1:0] m_axi_wdata_o,
  output wire [${NB}-1:0] m_axi_wstrb_o,
  output wire        m_axi_wlast_o,
  output wire        m_axi_wvalid_o,
  input  wire        m_axi_wready_i,
  input  wire [1:0]  m_axi_bresp_i,
  input  wire        m_axi_bvalid_i,
  output wire        m_axi_bready_o,
  output wire        irq_o
);
${decls.join("\n")}
  reg         rc_valid, wc_valid, busy;

  ${name}_regfile regs (
    .clk_i(clk_i),
    .rst_ni(rst_ni),${p.hasLock ? "\n    .lock_i(busy)," : ""}
    .s_axil_awaddr_i(s_axil_awaddr_i),
    .s_axil_awvalid_i(s_axil_awvalid_i),
    .s_axil_awready_o(s_axil_awready_o),
    .s_axil_wdata_i(s_axil_wdata_i),
    .s_axil_wstrb_i(s_axil_wstrb_i),
    .s_axil_wvalid_i(s_axil_wvalid_i),
    .s_axil_wready_o(s_axil_wready_o),
    .s_axil_bresp_o(s_axil_bresp_o),
    .s_axil_bvalid_o(s_axil_bvalid_o),
    .s_axil_bready_i(s_axil_bready_i),
    .s_axil_araddr_i(s_axil_araddr_i),
    .s_axil_arvalid_i(s_axil_arvalid_i),
    .s_axil_arready_o(s_axil_arready_o),
    .s_axil_rdata_o(s_axil_rdata_o),
    .s_axil_rresp_o(s_axil_rresp_o),
    .s_axil_rvalid_o(s_axil_rvalid_o),
    .s_axil_rready_i(s_axil_rready_i),
${conns.join("\n")}
    .irq_o(irq_o)
  );

  wire        rc_ready, wc_ready;
  wire        s_valid, s_ready, s_last;
  wire [${DW}-1:0] s_data;
  wire [${NB}-1:0] s_keep;
  wire        rd_busy, rd_done, rd_err, wr_busy, wr_done, wr_err, wr_ovf;
  wire [1:0]  rd_resp, wr_resp;
  wire [47:0] rd_bytes, wr_bytes;
  reg         rd_fin, wr_fin;
  reg  [31:0] cyc;

  ${name}_axi_dma_rd dma_rd (
    .clk_i(clk_i), .rst_ni(rst_ni),
    .cmd_valid_i(rc_valid), .cmd_ready_o(rc_ready),
    .cmd_addr_i(${addr("JOB_ADDR_B")}), .cmd_row_bytes_i(${port("JOB_B_BYTES")}_o),
    .cmd_rows_i(16'd1), .cmd_stride_i({${AW}{1'b0}}),
    .out_valid_o(s_valid), .out_ready_i(s_ready), .out_data_o(s_data), .out_keep_o(s_keep),
    .out_last_o(s_last), .busy_o(rd_busy), .done_o(rd_done), .err_o(rd_err), .resp_o(rd_resp),
    .bytes_o(rd_bytes),
    .m_axi_arid_o(m_axi_arid_o), .m_axi_araddr_o(m_axi_araddr_o), .m_axi_arlen_o(m_axi_arlen_o),
    .m_axi_arsize_o(m_axi_arsize_o), .m_axi_arburst_o(m_axi_arburst_o),
    .m_axi_arcache_o(m_axi_arcache_o), .m_axi_arprot_o(m_axi_arprot_o),
    .m_axi_arvalid_o(m_axi_arvalid_o), .m_axi_arready_i(m_axi_arready_i),
    .m_axi_rdata_i(m_axi_rdata_i), .m_axi_rresp_i(m_axi_rresp_i), .m_axi_rlast_i(m_axi_rlast_i),
    .m_axi_rvalid_i(m_axi_rvalid_i), .m_axi_rready_o(m_axi_rready_o)
  );

  ${name}_axi_dma_wr dma_wr (
    .clk_i(clk_i), .rst_ni(rst_ni),
    .cmd_valid_i(wc_valid), .cmd_ready_o(wc_ready),
    .cmd_addr_i(${addr("JOB_ADDR_OUT")}), .cmd_row_bytes_i(${port("JOB_B_BYTES")}_o),
    .cmd_rows_i(16'd1), .cmd_stride_i({${AW}{1'b0}}),
    .in_valid_i(s_valid), .in_ready_o(s_ready), .in_data_i(s_data), .in_keep_i(s_keep),
    .in_last_i(s_last), .busy_o(wr_busy), .done_o(wr_done), .err_o(wr_err), .resp_o(wr_resp),
    .overflow_o(wr_ovf), .bytes_o(wr_bytes),
    .m_axi_awid_o(m_axi_awid_o), .m_axi_awaddr_o(m_axi_awaddr_o), .m_axi_awlen_o(m_axi_awlen_o),
    .m_axi_awsize_o(m_axi_awsize_o), .m_axi_awburst_o(m_axi_awburst_o),
    .m_axi_awcache_o(m_axi_awcache_o), .m_axi_awprot_o(m_axi_awprot_o),
    .m_axi_awvalid_o(m_axi_awvalid_o), .m_axi_awready_i(m_axi_awready_i),
    .m_axi_wdata_o(m_axi_wdata_o), .m_axi_wstrb_o(m_axi_wstrb_o), .m_axi_wlast_o(m_axi_wlast_o),
    .m_axi_wvalid_o(m_axi_wvalid_o), .m_axi_wready_i(m_axi_wready_i),
    .m_axi_bresp_i(m_axi_bresp_i), .m_axi_bvalid_i(m_axi_bvalid_i), .m_axi_bready_o(m_axi_bready_o)
  );

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rc_valid <= 1'b0;
      wc_valid <= 1'b0;
      busy <= 1'b0;
      rd_fin <= 1'b0;
      wr_fin <= 1'b0;
      cyc <= 32'd0;
${ros.map((r) => `      ${r}_q <= 32'd0;`).join("\n")}
      ${port("IRQ_STATUS")}_set <= 32'd0;
    end else begin
      ${port("IRQ_STATUS")}_set <= 32'd0;
      if (rc_valid && rc_ready) rc_valid <= 1'b0;
      if (wc_valid && wc_ready) wc_valid <= 1'b0;
      if (!busy && ${port("CMD")}_o[0]) begin
        busy <= 1'b1;
        rc_valid <= 1'b1;
        wc_valid <= 1'b1;
        rd_fin <= 1'b0;
        wr_fin <= 1'b0;
        cyc <= 32'd0;
        ${port("STATUS")}_q <= 32'd1;
      end else if (busy) begin
        cyc <= cyc + 32'd1;
        if (rd_done) rd_fin <= 1'b1;
        if (wr_done) wr_fin <= 1'b1;
        if ((rd_fin || rd_done) && (wr_fin || wr_done)) begin
          busy <= 1'b0;
          ${port("STATUS")}_q <= {27'd0, wr_resp | rd_resp, wr_err | rd_err, 2'b00};
          ${port("JOB_OUT_BYTES")}_q <= wr_bytes[31:0];
          ${port("PERF_BYTES_RD_LO")}_q <= rd_bytes[31:0];
          ${port("PERF_BYTES_WR_LO")}_q <= wr_bytes[31:0];
          ${port("PERF_CYCLES_LO")}_q <= cyc + 32'd1;
          ${port("IRQ_STATUS")}_set <= {30'd0, wr_err | rd_err, 1'b1};
        end
      end
    end
  end
endmodule
\`default_nettype wire
`;
}
