/** A page whose capability has not landed yet: it says what it will hold, and shows no data. */
export function PlannedPage({ title, holds }: { title: string; holds: string }) {
  return (
    <section className="page">
      <h1>{title}</h1>
      <p className="muted">Not available yet. This page will hold: {holds}</p>
    </section>
  );
}
