"""Render and sign times of a contract (issue 5: signing adds at most 20 % to rendering).

    python bench/contract_bench.py [N]     # N rounds, default 20

The sample land management right mortgage contract (three A4 pages): rendered to PDF by WeasyPrint with the packaged CJK fonts, then signed (PAdES B-B) by a signer loaded once,
as the service does. Prints the median of each, their ratio, and the one-off cost of loading the PKCS#12.
"""
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    from finplat.contracts import pki, signing
    from finplat.contracts.context import sample_context
    from finplat.contracts.render import render_pdf
    from finplat.contracts.templates import render_html

    folder = Path(tempfile.mkdtemp(prefix="finplat-bench-"))
    pki.ensure_ca(folder)
    issued = pki.certificate_for(folder, {}, 1, "济南农村商业银行")
    t = time.perf_counter()
    signer = signing.load_signer(folder / issued.pkcs12_path, issued.fingerprint_sha256)
    loading = time.perf_counter() - t

    html = render_html("land_mortgage", sample_context("land_mortgage"))
    render_pdf(html)  # warm: fonts parsed once per process
    renders, signs = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        pdf = render_pdf(html)
        renders.append(time.perf_counter() - t)
        t = time.perf_counter()
        signed = signing.sign_pdf(pdf, signer, reason="土地经营权抵押合同", location="济南")
        signs.append(time.perf_counter() - t)
    from pypdf import PdfReader
    pages = len(PdfReader(BytesIO(signed)).pages)
    render, sign = statistics.median(renders), statistics.median(signs)
    print(f"land management right mortgage contract: {pages} A4 pages, {len(signed):,} bytes signed")
    print(f"render {render * 1000:.0f} ms, sign {sign * 1000:.1f} ms (medians of {rounds}); "
          f"signing adds {sign / render:.1%} to rendering (target: at most 20 %)")
    print(f"loading the PKCS#12 once: {loading * 1000:.1f} ms")


if __name__ == "__main__":
    main()
