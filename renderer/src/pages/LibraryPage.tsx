/** Library: replaced by the Hub/Library capability (issue 3). */
export function LibraryPage() {
  return (
    <section className="page">
      <h1>Library</h1>
      <p className="muted">Models, SAEs, datasets and result files found in the HF cache and your folders appear here.</p>
    </section>
  );
}
