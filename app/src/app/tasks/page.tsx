import type { Metadata } from "next";

export const metadata: Metadata = { title: "Tasks" };

export default function Page() {
  return <h1>Tasks</h1>;
}
