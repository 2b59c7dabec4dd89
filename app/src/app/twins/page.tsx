import type { Metadata } from "next";
import { Suspense } from "react";
import { Twins } from "@/components/twins/Twins";

export const metadata: Metadata = { title: "Twins" };

export default function Page() {
  // Twins reads ?asset= with useSearchParams, which needs a Suspense boundary.
  return (
    <Suspense fallback={null}>
      <Twins />
    </Suspense>
  );
}
